// The public surface of httpio: nothing else is exported.
export { HttpConnection } from './connection/connection';
export { HttpPool } from './pool/pool';
export type { PoolOptions } from './pool/pool';
export { HttpAgent } from './pool/agent';
export type { AgentOptions } from './pool/agent';
export { HttpHeaders } from './headers';
export { HttpResponse } from './response';
export { readAll } from './operators/readAll';
export { text } from './operators/text';
export { json } from './operators/json';
export { writeTo } from './operators/writeTo';
export { lines } from './operators/lines';
export type { LineOptions } from './operators/lines';
export { ndjson } from './operators/ndjson';
export { sse } from './operators/sse';
export type { ServerSentEvent, SseOptions } from './operators/sse';
export { decompress } from './operators/decompress';
export type { DecompressOptions } from './operators/decompress';
export { ensureOk } from './operators/ensureOk';
export type { EnsureOkOptions } from './operators/ensureOk';
export { fetchEach } from './operators/fetchEach';
export type { FetchTarget, FetchSpec, FetchEachOptions } from './operators/fetchEach';
export type { Sink } from './operators/writeTo';
export {
  HttpioError,
  ConnectionClosed,
  InvalidResponse,
  UnsupportedResponse,
  RequestError,
  ConnectError,
  ResponseTimeout,
  HttpStatusError,
} from './errors';
export { DEFAULT_OPTIONS } from './options';
export type { ConnectionOptions, TlsOptions, Limits } from './options';
export { proxyFromEnv } from './transport/proxyFromEnv';
export type { RequestInit, RequestBody, HeadersInit } from './request';
export type {
  ResponseEvent,
  InformationalEvent,
  HeadEvent,
  DataEvent,
  TrailersEvent,
  ConnectionEvent,
  ConnectEvent,
  WrittenEvent,
  ResponseHeadEvent,
  ResentEvent,
  DisconnectEvent,
  TimeoutEvent,
} from './events';

// The public surface of httpio: nothing else is exported.
export { HttpConnection } from './connection';
export { HttpHeaders } from './headers';
export { HttpResponse } from './response';
export { readAll, text, json, writeTo } from './operators';
export type { Sink } from './operators';
export {
  HttpioError,
  ConnectionClosed,
  InvalidResponse,
  UnsupportedResponse,
  RequestError,
  ConnectError,
  ResponseTimeout,
} from './errors';
export { DEFAULT_OPTIONS } from './options';
export type { ConnectionOptions } from './options';
export type { RequestInit, RequestBody, HeadersInit } from './serializer';
export type {
  ResponseEvent,
  InformationalEvent,
  HeadEvent,
  DataEvent,
  TrailersEvent,
} from './events';

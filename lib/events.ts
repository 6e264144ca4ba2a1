import type { HttpHeaders } from './headers';

/** A `1xx` interim response other than `101`, e.g. `100 Continue` or `103 Early Hints`. */
export interface InformationalEvent {
  readonly type: 'informational';
  readonly status: number;
  readonly reason: string;
  readonly headers: HttpHeaders;
}

/** The final response's status line and header fields; emitted once. */
export interface HeadEvent {
  readonly type: 'head';
  readonly status: number;
  readonly reason: string;
  readonly version: '1.0' | '1.1';
  readonly headers: HttpHeaders;
}

/** One piece of the response body, in order. The bytes are not copied from the socket read. */
export interface DataEvent {
  readonly type: 'data';
  readonly data: Uint8Array;
  /**
   * Stops reading the connection until the returned function is called, for
   * a consumer slower than the network: the socket is not read meanwhile, so
   * TCP holds the server back and memory stays bounded. Pauses nest.
   *
   * @example
   * if (event.type === 'data' && !file.write(event.data)) file.once('drain', event.pause());
   */
  pause(): () => void;
}

/** Trailer fields of a chunked body; at most once, after the last data. */
export interface TrailersEvent {
  readonly type: 'trailers';
  readonly headers: HttpHeaders;
}

/**
 * What a request Observable emits, discriminated on `type`: any number of
 * `informational`, one `head`, any number of `data`, at most one `trailers`,
 * then completion at the exact end of the body, or an error.
 *
 * @example
 * conn.request('GET', '/big').subscribe((event) => {
 *   switch (event.type) {
 *     case 'head': console.log(event.status); break;
 *     case 'data': out.write(event.data); break;
 *   }
 * });
 */
export type ResponseEvent = InformationalEvent | HeadEvent | DataEvent | TrailersEvent;

/** What every connection event carries: where it happened. */
interface ConnectionEventBase {
  /** The origin, `scheme://host:port`. */
  readonly origin: string;
  /** Which connection of its pool (0 for an HttpConnection), stable for the pool's life. */
  readonly connection: number;
}

/** A socket is connected (and its TLS handshake done). */
export interface ConnectEvent extends ConnectionEventBase {
  readonly type: 'connect';
  /** The peer, `ip:port`, or the Unix socket path; through a proxy, the proxy's address. */
  readonly address: string | null;
  /** The negotiated TLS version (`TLSv1.3`...) and whether the session was resumed; null without TLS. */
  readonly tls: { readonly protocol: string | null; readonly resumed: boolean } | null;
  /** The proxy tunnelled through, `host:port`, or null. */
  readonly proxy: string | null;
}

/** A request's head went on the wire. */
export interface WrittenEvent extends ConnectionEventBase {
  readonly type: 'written';
  readonly method: string;
  readonly path: string;
  /** How many sockets it has been written to, this one included (2 for a re-send). */
  readonly writes: number;
}

/** A final response head arrived. */
export interface ResponseHeadEvent extends ConnectionEventBase {
  readonly type: 'head';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Milliseconds from the request becoming the awaited one to its head. */
  readonly ms: number;
}

/** A written request goes back to waiting: the server announced its close before it (RFC 9112 §9.6). */
export interface ResentEvent extends ConnectionEventBase {
  readonly type: 'resent';
  readonly method: string;
  readonly path: string;
}

/** A socket went away. */
export interface DisconnectEvent extends ConnectionEventBase {
  readonly type: 'disconnect';
  /** The server announced it (`Connection: close`, or an HTTP/1.0 response), or httpio dropped an idle socket. */
  readonly announced: boolean;
  /** What ended it: null for a clean end, else the error (a reset, a timeout, a malformed response). */
  readonly cause: unknown;
}

/** The awaited request made no progress within its timeout; the socket is dropped. */
export interface TimeoutEvent extends ConnectionEventBase {
  readonly type: 'timeout';
  readonly method: string;
  readonly path: string;
  readonly ms: number;
}

/**
 * What `events` emits on an HttpConnection, HttpPool or HttpAgent: a hot
 * stream of lifecycle events, discriminated on `type`. Nothing is built
 * while nobody subscribes.
 *
 * @example
 * pool.events.subscribe((e) => {
 *   if (e.type === 'disconnect' && !e.announced) log.warn('connection lost', e.origin, e.cause);
 * });
 */
export type ConnectionEvent = ConnectEvent | WrittenEvent | ResponseHeadEvent | ResentEvent | DisconnectEvent | TimeoutEvent;

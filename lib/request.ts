import type { Observable } from 'rxjs';

// What a caller passes to request() and fetch() besides the method and the
// path. The protocol layer (http1/serializer.ts) checks and writes it.

/** Request header fields: a record, or `[name, value]` pairs (which keep order and duplicates). */
export type HeadersInit = Readonly<Record<string, string | number | readonly string[]>> | Iterable<readonly [string, string | number]>;

/** A streamed request body: what `RequestInit.body` may be besides text and bytes. */
export type BodyStream = Observable<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

/**
 * Whether a body is streamed. An Observable is recognised by shape, as
 * RxJS's own `isObservable` does, so that this protocol layer needs no RxJS
 * at run time.
 */
export function isBodyStream(body: unknown): body is BodyStream {
  if (typeof body !== 'object' || body === null) return false;
  const candidate = body as { subscribe?: unknown; lift?: unknown };
  return (typeof candidate.subscribe === 'function' && typeof candidate.lift === 'function') || Symbol.asyncIterator in body;
}

/** A request body: known-size bytes or text, or a stream of pieces. */
export type RequestBody = string | Uint8Array | Observable<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

/**
 * What a request carries besides its method and path.
 *
 * @example
 * conn.fetch('POST', '/items', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(item) });
 */
export interface RequestInit {
  /** Header fields. `Host` is added when absent; Content-Length and Transfer-Encoding are httpio's to set. */
  headers?: HeadersInit;
  /**
   * Text (sent as UTF-8) or bytes get a Content-Length. A stream (an
   * Observable or an AsyncIterable, such as a Node.js Readable) is sent with
   * chunked coding, or as is when `contentLength` is given.
   */
  body?: RequestBody;
  /** The exact length of a streamed body; a stream that yields more or fewer bytes fails the request. */
  contentLength?: number;
  /**
   * Send the head with `Expect: 100-continue` and hold the body until the
   * server answers `100 Continue` (or `expect100Timeout` passes). A final
   * status instead means the body is never sent. Ignored for a request
   * without a body (RFC 9110 §10.1.1).
   */
  expect100?: boolean;
  /**
   * This request's no-progress timeout in milliseconds, instead of the
   * connection's `timeout`; `0` for none (a long-lived event stream, a long poll).
   */
  timeout?: number;
  /** Re-send once after a lost connection if idempotent and replayable; overrides the connection's `resendIdempotent`. */
  resendIdempotent?: boolean;
}

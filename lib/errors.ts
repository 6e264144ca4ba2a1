/**
 * Every error httpio raises extends {@link HttpioError}, so one `instanceof`
 * tells a caller's own failures apart from httpio's. Each class has a `name`
 * literal and a stable `code` for logs and switch statements.
 */

import type { HttpResponse } from './response';

/**
 * The base class of every httpio error.
 *
 * @example
 * conn.fetch('GET', '/').subscribe({
 *   error: (e) => { if (e instanceof HttpioError) console.error(e.code, e.message); },
 * });
 */
export class HttpioError extends Error {
  override readonly name: string = 'HttpioError';
  readonly code: string = 'HTTPIO_ERROR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The connection went away before this request's response ended: end of
 * stream, reset, broken pipe, a destroyed socket or `destroy()`.
 *
 * `sent` says whether this request's bytes were written. When it is `true`
 * the server may have processed the request, so re-sending a non-idempotent
 * one is the caller's decision.
 *
 * @example
 * conn.fetch('GET', '/item').pipe(
 *   retry({ count: 2, delay: (e) => (e instanceof ConnectionClosed ? timer(100) : throwError(() => e)) }),
 * );
 */
export class ConnectionClosed extends HttpioError {
  override readonly name = 'ConnectionClosed';
  override readonly code = 'HTTPIO_CONNECTION_CLOSED';
  /** Whether the request had been written to the socket when the connection was lost. */
  readonly sent: boolean;

  constructor(message: string, options: { sent: boolean; cause?: unknown }) {
    super(message, options);
    this.sent = options.sent;
  }
}

/**
 * The server's bytes break HTTP/1.1 framing or syntax, or pass a limit
 * (`maxHeaderSize`, `maxResponseSize`). The connection is dropped.
 *
 * @example
 * conn.fetch('GET', '/').subscribe({ error: (e) => e instanceof InvalidResponse && alertOps(e.message) });
 */
export class InvalidResponse extends HttpioError {
  override readonly name = 'InvalidResponse';
  override readonly code = 'HTTPIO_INVALID_RESPONSE';
}

/**
 * A well-formed response that an HTTP/1.1 client cannot take: an unknown
 * transfer coding, an unrequested `101 Switching Protocols`, a major version
 * other than 1. The connection is dropped.
 *
 * @example
 * conn.fetch('GET', '/').subscribe({ error: (e) => e instanceof UnsupportedResponse && console.warn(e.message) });
 */
export class UnsupportedResponse extends HttpioError {
  override readonly name = 'UnsupportedResponse';
  override readonly code = 'HTTPIO_UNSUPPORTED_RESPONSE';
}

/**
 * The caller's request is invalid: a bad method, path, header name or value,
 * or a body whose size differs from its declared length. When it is raised
 * before writing, nothing of the request was written.
 *
 * @example
 * conn.fetch('GET', '/a b').subscribe({ error: (e) => console.log(e.message) }); // the path has a space
 */
export class RequestError extends HttpioError {
  override readonly name = 'RequestError';
  override readonly code = 'HTTPIO_REQUEST_ERROR';
}

/**
 * The connection could not be made: name resolution, refused, unreachable,
 * `connectTimeout`. `cause` holds the underlying error.
 *
 * @example
 * conn.fetch('GET', '/').pipe(retry({ count: 3, delay: 500 }));
 */
export class ConnectError extends HttpioError {
  override readonly name = 'ConnectError';
  override readonly code = 'HTTPIO_CONNECT_ERROR';
}

/**
 * No byte of the awaited response arrived within the `timeout` option. The
 * connection is dropped, since the server's place in the pipeline is lost.
 *
 * @example
 * new HttpConnection('http://127.0.0.1:8080', { timeout: 5_000 });
 */
export class ResponseTimeout extends HttpioError {
  override readonly name = 'ResponseTimeout';
  override readonly code = 'HTTPIO_RESPONSE_TIMEOUT';
}

/**
 * From ensureOk() only: the server answered with a status of 400 or more.
 * `response` is the answer: for a `fetch()` the HttpResponse itself; for a
 * `request()` stream, an HttpResponse read up to ensureOk()'s
 * `maxBodySize` (the message says when the body was cut there).
 *
 * @example
 * conn.fetch('GET', '/items/9').pipe(ensureOk()).subscribe({
 *   error: (e) => { if (e instanceof HttpStatusError && e.status === 404) console.log('gone:', e.response.text()); },
 * });
 */
export class HttpStatusError extends HttpioError {
  override readonly name = 'HttpStatusError';
  override readonly code = 'HTTPIO_HTTP_STATUS';
  /** The response status, 400 or more. */
  readonly status: number;
  /** The response, its body possibly cut (see above). */
  readonly response: HttpResponse;

  constructor(message: string, options: { response: HttpResponse; cause?: unknown }) {
    super(message, options);
    this.status = options.response.status;
    this.response = options.response;
  }
}

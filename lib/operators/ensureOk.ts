import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { HttpStatusError } from '../errors';
import type { HeadEvent, ResponseEvent } from '../events';
import type { HttpHeaders } from '../headers';
import { HttpResponse } from '../response';
import { BodyCollector } from './bodyCollector';

/** The default `maxBodySize` of ensureOk(): 64 KiB of an error response's body. */
export const DEFAULT_MAX_ERROR_BODY = 64 * 1024;

/** ensureOk()'s options. */
export interface EnsureOkOptions {
  /**
   * On a `request()` stream: bytes of an error response's body read into
   * HttpStatusError.response; past them the rest is not read (the request is
   * let go) and the message says the body was cut. Default 64 KiB.
   */
  maxBodySize?: number;
  /** The request, e.g. `'GET /items/1'`, for the error message: the response does not know it. */
  request?: string;
}

/**
 * Errors with {@link HttpStatusError} when the response status is 400 or
 * more; passes everything through otherwise. Works on both shapes:
 *
 * - on `HttpResponse`s (from `fetch()` or readAll()): each one with a status
 *   ≥ 400 errors, with that response as `error.response`;
 * - on `ResponseEvent`s (from `request()`): interim responses pass; a head
 *   with a status < 400 and all that follows it pass as they come; a head
 *   with a status ≥ 400 is not emitted: its body is read, up to
 *   `maxBodySize` (default 64 KiB), into `error.response`, so the server's
 *   explanation is at hand. A body that fails to arrive whole still gives the
 *   HttpStatusError, with the failure as its `cause`.
 *
 * @example
 * conn.fetch('GET', '/items/1').pipe(ensureOk()).subscribe({
 *   next: (res) => console.log(res.json()),
 *   error: (e) => console.error(e.message), // 'HTTP 404 Not Found'
 * });
 * conn.request('GET', '/feed', { timeout: 0 }).pipe(ensureOk({ request: 'GET /feed' }), sse()).subscribe(console.log);
 */
export function ensureOk<T extends HttpResponse | ResponseEvent>(options: EnsureOkOptions = {}): MonoTypeOperatorFunction<T> {
  const max = options.maxBodySize ?? DEFAULT_MAX_ERROR_BODY;
  if (typeof max !== 'number' || !(max >= 0) || !Number.isInteger(max)) {
    throw new RangeError(`ensureOk(): option maxBodySize must be an integer >= 0, got ${String(max)}`);
  }
  const request = options.request;
  return (source) =>
    new Observable<T>((subscriber) => {
      /** The head of an error response whose body is being read; null while all is well. */
      let failed: HeadEvent | null = null;
      /** That body so far, at most `max` bytes. */
      const body = new BodyCollector();
      let trailers: HttpHeaders | undefined;
      const raise = (cut: boolean, cause?: unknown) => {
        const response = new HttpResponse(failed!, body.take(), trailers);
        subscriber.error(statusError(response, request, cut, cause));
      };
      return source.subscribe({
        next(value) {
          if (subscriber.closed) return;
          if (value instanceof HttpResponse) {
            if (value.status >= 400) subscriber.error(statusError(value, request, false));
            else subscriber.next(value);
            return;
          }
          const event = value as ResponseEvent;
          if (failed === null) {
            if (event.type === 'head' && event.status >= 400) failed = event;
            else subscriber.next(value);
            return;
          }
          if (event.type === 'trailers') trailers = event.headers;
          if (event.type !== 'data') return;
          const room = max - body.length;
          if (event.data.length > room) {
            body.add(event.data.subarray(0, room));
            return raise(true);
          }
          body.add(event.data);
        },
        error(err) {
          if (failed !== null) raise(false, err);
          else subscriber.error(err);
        },
        complete() {
          if (failed !== null) raise(false);
          else subscriber.complete();
        },
      });
    });
}

/** 'HTTP 404 Not Found for GET /x', and why the body is incomplete when it is. */
function statusError(response: HttpResponse, request: string | undefined, cut: boolean, cause?: unknown): HttpStatusError {
  let message = `HTTP ${response.status}${response.reason === '' ? '' : ` ${response.reason}`}`;
  if (request !== undefined) message += ` for ${request}`;
  if (cut) message += ` (body cut at maxBodySize, ${response.body.length} bytes)`;
  else if (cause !== undefined)
    message += ` (the body failed after ${response.body.length} bytes: ${cause instanceof Error ? cause.message : String(cause)})`;
  return new HttpStatusError(message, cause === undefined ? { response } : { response, cause });
}

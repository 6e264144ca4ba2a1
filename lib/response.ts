import type { HeadEvent } from './events';
import type { HttpHeaders } from './headers';

const utf8 = new TextDecoder('utf-8');

/**
 * A whole response, as `fetch()` and `readAll()` deliver it.
 *
 * @example
 * conn.fetch('GET', '/items/1').subscribe((res) => {
 *   if (res.status === 200) console.log(res.json<{ id: number }>().id);
 * });
 */
export class HttpResponse {
  readonly status: number;
  readonly reason: string;
  readonly version: '1.0' | '1.1';
  readonly headers: HttpHeaders;
  /** Trailer fields of a chunked body, when it had any. */
  readonly trailers?: HttpHeaders;
  readonly body: Uint8Array;

  constructor(head: HeadEvent, body: Uint8Array, trailers?: HttpHeaders) {
    this.status = head.status;
    this.reason = head.reason;
    this.version = head.version;
    this.headers = head.headers;
    if (trailers !== undefined) this.trailers = trailers;
    this.body = body;
  }

  /** Whether the status is a success, 200 to 299 (as in the Fetch standard). */
  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  /** The body decoded as UTF-8 (malformed sequences become U+FFFD). */
  text(): string {
    return utf8.decode(this.body);
  }

  /** The body parsed as JSON; throws SyntaxError when it is not JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}

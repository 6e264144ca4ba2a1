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

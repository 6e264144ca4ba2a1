import { Observable, type OperatorFunction } from 'rxjs';
import type { ResponseEvent } from '../events';
import type { HttpHeaders } from '../headers';
import { HttpResponse } from '../response';
import { BodyCollector } from './bodyCollector';

/**
 * Collects a response's events into one {@link HttpResponse}, emitted when the
 * body has ended. Informational responses are skipped. A stream that
 * completes without a head (it cannot from a connection) errors rather than
 * emit nothing.
 *
 * A response costs about its size in memory however it was cut: a body that
 * came in one piece is that piece, not copied; one in several pieces is
 * copied into one buffer as it arrives (see bodyCollector.ts) rather
 * than kept as a view per piece: an object per data event would cost far
 * more than the bytes when they come a few at a time.
 *
 * @example
 * conn.request('GET', '/').pipe(readAll()).subscribe((res) => console.log(res.status));
 */
export function readAll(): OperatorFunction<ResponseEvent, HttpResponse> {
  return (source) =>
    new Observable<HttpResponse>((subscriber) => {
      let head: Extract<ResponseEvent, { type: 'head' }> | null = null;
      let trailers: HttpHeaders | undefined;
      const body = new BodyCollector();
      return source.subscribe({
        next(event) {
          switch (event.type) {
            case 'head':
              head = event;
              break;
            case 'data':
              body.add(event.data);
              break;
            case 'trailers':
              trailers = event.headers;
              break;
          }
        },
        error: (err) => subscriber.error(err),
        complete() {
          if (head === null) {
            subscriber.error(new TypeError('readAll(): the response ended without a head'));
            return;
          }
          subscriber.next(new HttpResponse(head, body.take(), trailers));
          subscriber.complete();
        },
      });
    });
}

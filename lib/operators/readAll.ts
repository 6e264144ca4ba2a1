import { Observable, type OperatorFunction } from 'rxjs';
import type { ResponseEvent } from '../events';
import type { HttpHeaders } from '../headers';
import { HttpResponse } from '../response';

/**
 * Collects a response's events into one {@link HttpResponse}, emitted when the
 * body has ended. The body pieces are joined once, at the end. Informational
 * responses are skipped. A stream that completes without a head (it cannot
 * from a connection) errors rather than emit nothing.
 *
 * @example
 * conn.request('GET', '/').pipe(readAll()).subscribe((res) => console.log(res.status));
 */
export function readAll(): OperatorFunction<ResponseEvent, HttpResponse> {
  return (source) =>
    new Observable<HttpResponse>((subscriber) => {
      let head: Extract<ResponseEvent, { type: 'head' }> | null = null;
      let trailers: HttpHeaders | undefined;
      const pieces: Uint8Array[] = [];
      let size = 0;
      return source.subscribe({
        next(event) {
          switch (event.type) {
            case 'head':
              head = event;
              break;
            case 'data':
              pieces.push(event.data);
              size += event.data.length;
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
          const body = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, size);
          subscriber.next(new HttpResponse(head, body, trailers));
          subscriber.complete();
        },
      });
    });
}

import { Observable, map, type OperatorFunction } from 'rxjs';
import type { HeadEvent, ResponseEvent } from './events';
import type { HttpHeaders } from './headers';
import { HttpResponse } from './response';

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

/**
 * The response body as text (UTF-8).
 *
 * @example
 * conn.request('GET', '/readme').pipe(text()).subscribe(console.log);
 */
export function text(): OperatorFunction<ResponseEvent, string> {
  return (source) => source.pipe(readAll(), map((response) => response.text()));
}

/**
 * The response body parsed as JSON.
 *
 * @example
 * conn.request('GET', '/items').pipe(json<Item[]>()).subscribe((items) => render(items));
 */
export function json<T = unknown>(): OperatorFunction<ResponseEvent, T> {
  return (source) => source.pipe(readAll(), map((response) => response.json<T>()));
}

/** Where writeTo() puts a body: a Node.js Writable, or anything with these methods. */
export interface Sink {
  /** Takes a piece; returns false when the sink is full and the writer should wait for `drain`. */
  write(chunk: Uint8Array): boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  once(event: 'error', listener: (err: unknown) => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'error', listener: (err: unknown) => void): unknown;
}

/**
 * Writes a response body into `sink` with backpressure: while the sink is
 * full, the connection stops reading its socket, so memory stays bounded
 * whatever the body's size. Emits the head when it arrives; completes when
 * the last piece has been handed to the sink. The sink is not ended, so
 * several bodies may go into one. A sink error errors the Observable; a sink
 * that closes releases the connection.
 *
 * @example
 * const file = fs.createWriteStream('backup.tar');
 * conn.request('GET', '/backup.tar').pipe(writeTo(file)).subscribe({
 *   next: (head) => console.log(head.status),
 *   complete: () => file.end(),
 * });
 */
export function writeTo(sink: Sink): OperatorFunction<ResponseEvent, HeadEvent> {
  return (source) =>
    new Observable<HeadEvent>((subscriber) => {
      /** Lifts the pause taken while the sink is full; null when none is held. */
      let resume: (() => void) | null = null;
      // A sink that closes will never drain: the pause goes with it. Both
      // stay armed after completion, since the last piece may still be queued.
      const lift = () => {
        sink.off('drain', lift);
        sink.off('close', lift);
        const held = resume;
        resume = null;
        held?.();
      };
      const failed = (err: unknown) => subscriber.error(err);
      sink.once('error', failed);
      const subscription = source.subscribe({
        next(event) {
          if (event.type === 'head') subscriber.next(event);
          else if (event.type === 'data' && !sink.write(event.data) && resume === null) {
            resume = event.pause();
            sink.once('drain', lift);
            sink.once('close', lift);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        sink.off('error', failed);
        subscription.unsubscribe();
      };
    });
}

import { Observable, type OperatorFunction } from 'rxjs';
import type { HeadEvent, ResponseEvent } from '../events';

/** Where writeTo() puts a body: a Node.js Writable, or anything with these methods. */
export interface Sink {
  /** Takes a piece; returns false when the sink is full and the writer should wait for `drain`. */
  write(chunk: Uint8Array): boolean;
  /** Calls `listener` once when the sink has room again (`drain`) or is gone (`close`). */
  once(event: 'drain' | 'close', listener: () => void): unknown;
  /** Calls `listener` once with the sink's error. */
  once(event: 'error', listener: (err: unknown) => void): unknown;
  /** Removes a listener given to once(). */
  off(event: 'drain' | 'close', listener: () => void): unknown;
  /** Removes an error listener given to once(). */
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

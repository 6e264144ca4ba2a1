import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { HttpResponse } from '../response';

/**
 * What fetchEach() sends requests through: anything with `fetch()`, such as
 * an `HttpConnection`, an `HttpPool` (path) or an `HttpAgent` (absolute URL).
 * `Init` is the target's own request options type, inferred from it.
 */
export interface FetchTarget<Init = unknown> {
  /** Sends one request and emits its whole response, as HttpConnection.fetch() does. */
  fetch(method: string, pathOrUrl: string, init?: Init): Observable<HttpResponse>;
}

/** One request, as fetchEach()'s `project` describes it: `path` for a connection or pool, `url` for an agent. */
export type FetchSpec<Init = unknown> =
  | { readonly method: string; readonly path: string; readonly url?: undefined; readonly init?: Init }
  | { readonly method: string; readonly url: string | URL; readonly path?: undefined; readonly init?: Init };

/** fetchEach()'s options. */
export interface FetchEachOptions {
  /**
   * Requests started and not yet emitted, at most: those in flight plus
   * those answered but waiting for an earlier one. Default
   * 64.
   */
  concurrency?: number;
}

/** The default `concurrency` of fetchEach(). */
export const DEFAULT_CONCURRENCY = 64;

/**
 * Sends one request per source value and emits the responses **in source
 * order**, with at most `concurrency` (default 64) requests started and not
 * yet emitted. Values that arrive meanwhile wait in a queue: an Observable
 * cannot be told to wait, so a synchronous `from(array)` hands over all its
 * items at once; each costs O(1) to queue and to start, however many wait.
 * A failing request (or a throwing `project`) errors the output, as
 * `mergeMap` does, and the requests in flight are unsubscribed;
 * unsubscribing the output does the same. It completes once the source has
 * and every response has been emitted.
 *
 * @example
 * from(ids).pipe(
 *   fetchEach(conn, (id) => ({ method: 'GET', path: `/items/${id}` }), { concurrency: 16 }),
 * ).subscribe((res) => console.log(res.status));
 * // With an HttpAgent: (url) => ({ method: 'GET', url })
 */
export function fetchEach<T, Init = unknown>(
  target: FetchTarget<Init>,
  project: (item: T, index: number) => FetchSpec<Init>,
  options: FetchEachOptions = {},
): OperatorFunction<T, HttpResponse> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`fetchEach(): option concurrency must be an integer >= 1, got ${String(concurrency)}`);
  }
  return (source) =>
    new Observable<HttpResponse>((subscriber) => {
      /** Source values not started yet, oldest first. */
      const waiting = new Fifo<T>();
      /** Started requests not yet emitted, by index: at most `concurrency`. */
      const started = new Map<number, Slot>();
      /** The index of the next value to start: values before it have started. */
      let nextStart = 0;
      /** The index of the next response to emit: those before it have been emitted. */
      let nextEmit = 0;
      /** The source has completed. */
      let sourceDone = false;
      /** pump() is running: a nested call (a synchronous fetch completing) only asks for another round. */
      let pumping = false;
      let again = false;

      const start = (item: T, index: number) => {
        const slot: Slot = { values: [], done: false, subscription: null };
        started.set(index, slot);
        const spec = project(item, index);
        const where = spec.path ?? spec.url;
        if (typeof where !== 'string' && !(where instanceof URL)) {
          throw new TypeError(`fetchEach(): the request for item ${index} has neither path nor url`);
        }
        const subscription = target.fetch(spec.method, String(where), spec.init).subscribe({
          next(response) {
            // The oldest one unemitted goes out at once; the others wait their turn.
            if (index === nextEmit) subscriber.next(response);
            else slot.values.push(response);
          },
          error: (err) => subscriber.error(err),
          complete() {
            // It stays in `started` until its turn to be emitted.
            slot.done = true;
            slot.subscription = null;
            if (index === nextEmit) pump();
          },
        });
        // The output may have ended during that subscribe, before there was a subscription to end.
        if (subscriber.closed) subscription.unsubscribe();
        else if (!slot.done) slot.subscription = subscription;
      };

      const pump = () => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            // Emit the answered ones, in order, up to the first still in flight.
            for (let slot = started.get(nextEmit); slot !== undefined && slot.done && !subscriber.closed; slot = started.get(nextEmit)) {
              started.delete(nextEmit);
              nextEmit++;
              for (const value of slot.values) subscriber.next(value);
            }
            // The new head has its buffered values out now; later ones go out as they come.
            const head = started.get(nextEmit);
            if (head !== undefined && head.values.length > 0) {
              for (const value of head.values) subscriber.next(value);
              head.values = [];
            }
            while (nextStart - nextEmit < concurrency && waiting.size > 0 && !subscriber.closed) {
              start(waiting.shift(), nextStart++);
            }
          } while (again && !subscriber.closed);
        } catch (err) {
          subscriber.error(err);
        } finally {
          pumping = false;
        }
        if (sourceDone && waiting.size === 0 && nextEmit === nextStart) subscriber.complete();
      };

      const subscription = source.subscribe({
        next(item) {
          if (subscriber.closed) return;
          waiting.push(item);
          pump();
        },
        error: (err) => subscriber.error(err),
        complete() {
          sourceDone = true;
          pump();
        },
      });
      return () => {
        subscription.unsubscribe();
        waiting.clear();
        for (const slot of started.values()) slot.subscription?.unsubscribe();
        started.clear();
      };
    });
}

/** A started request. */
interface Slot {
  /** Responses that came while an earlier request was still unemitted. */
  values: HttpResponse[];
  /** Its fetch has completed. */
  done: boolean;
  /** Its fetch, to unsubscribe on teardown; null once it has completed (or if it did at once). */
  subscription: Subscription | null;
}

/**
 * A first-in first-out queue with O(1) push and shift: an array read from a
 * head index, compacted once the consumed part is most of it (Array.shift
 * moves every element, which makes a long queue quadratic).
 */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item; only when size > 0. */
  shift(): T {
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T; // let it be collected
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

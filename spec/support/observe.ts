import type { Observable } from 'rxjs';
import type { ResponseEvent } from '../../lib/events';

/** How an Observable ended: its values, then `error` or complete. */
export interface Outcome<T> {
  values: T[];
  error?: unknown;
  completed: boolean;
}

/**
 * Subscribes and resolves when the Observable errors or completes. A spec
 * that would hang fails after `timeoutMs` instead, naming what was seen.
 */
export function settle<T>(source: Observable<T>, timeoutMs = 3000): Promise<Outcome<T>> {
  return new Promise((resolve, reject) => {
    const outcome: Outcome<T> = { values: [], completed: false };
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`did not settle within ${timeoutMs} ms; got ${outcome.values.length} values`));
    }, timeoutMs);
    const subscription = source.subscribe({
      next: (value) => outcome.values.push(value),
      error(err) {
        clearTimeout(timer);
        outcome.error = err;
        resolve(outcome);
      },
      complete() {
        clearTimeout(timer);
        outcome.completed = true;
        resolve(outcome);
      },
    });
  });
}

/** A compact trace of response events, e.g. `['head 200', 'data hello', 'trailers', 'complete']`. */
export async function trace(source: Observable<ResponseEvent>, timeoutMs?: number): Promise<string[]> {
  const outcome = await settle(source, timeoutMs);
  const lines = outcome.values.map((event) => {
    switch (event.type) {
      case 'informational':
      case 'head':
        return `${event.type} ${event.status}`;
      case 'data':
        return `data ${Buffer.from(event.data).toString('latin1')}`;
      case 'trailers':
        return 'trailers';
    }
  });
  lines.push(outcome.completed ? 'complete' : `error ${(outcome.error as Error)?.name}`);
  return lines;
}

/** Resolves after `ms`; for letting bytes cross the loopback where no event marks it. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How many request lines of `method` the bytes hold. */
export function countRequests(received: Buffer, method = 'GET'): number {
  return received.toString('latin1').split(`${method} /`).length - 1;
}

import * as fs from 'node:fs';
import { Observable, catchError, defer, map, of, type Subscription } from 'rxjs';
import { HttpAgent, HttpHeaders, HttpResponse, fetchEach, type FetchTarget, type RequestBody, type RequestInit } from '../index';
import type { Target } from './input';
import type { Output, Result } from './output';

/** The most origins whose pipelines the in-order window is sized to fill at once (see windowFor). */
export const MAX_ORIGINS_IN_WINDOW = 8;

/** What a run sends and how. */
export interface RunOptions {
  readonly targets: readonly Target[];
  readonly method: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The body of every request: text, or a file streamed with its size as Content-Length. */
  readonly data: { readonly text: string } | { readonly file: string; readonly size: number } | undefined;
  /** maxPipelined of each connection. */
  readonly depth: number;
  /** connectionsPerOrigin of the agent. */
  readonly connections: number;
  readonly output: Output;
  /** After each result is written: the counts so far, for the progress line. */
  readonly onProgress?: (done: number, bytes: number) => void;
}

/** How a run ended. */
export interface RunSummary {
  /** URLs that did not end in a 2xx response written out. */
  readonly failures: number;
  /** abort() ended it before every URL was done. */
  readonly aborted: boolean;
}

/**
 * fetchEach's window: requests started and not yet written out.
 * `connections × depth` fills every pipeline slot of one origin, and no
 * more: a larger window would only queue requests in the pool, holding
 * their responses in memory for longer. URLs of several origins share the
 * window, so it grows with their number, up to {@link MAX_ORIGINS_IN_WINDOW}
 * of them: a crawl list of a thousand origins should not open thousands
 * of sockets or hold thousands of bodies.
 *
 * @example
 * windowFor(targets, 4, 10); // 40 for URLs of one origin
 */
export function windowFor(targets: readonly Target[], connections: number, depth: number): number {
  const origins = new Set<string>();
  for (const { url } of targets) {
    origins.add(url.origin);
    if (origins.size === MAX_ORIGINS_IN_WINDOW) break;
  }
  return connections * depth * Math.max(1, origins.size);
}

/**
 * Fetches every target through one HttpAgent with fetchEach, hands each
 * result to the output in input order, and resolves once all are written
 * and the agent is closed. `abort()` stops at once (stdout went away).
 *
 * Memory is bounded: at most `window` responses (windowFor) are held,
 * whole, between their arrival and their turn to be written, and no URL
 * is handed to fetchEach while stdout is full, so at most another
 * `window` wait in stdout's buffer (asynchronous on a pipe). A body is
 * held whole: the bound is 2 × window × the largest body.
 *
 * @example
 * const { done } = run({ targets, method: 'GET', headers: [], data: undefined, depth: 10, connections: 4, output });
 * const { failures } = await done;
 */
export function run(options: RunOptions): { done: Promise<RunSummary>; abort(): void } {
  const { targets, output } = options;
  const agent = new HttpAgent({ connectionsPerOrigin: options.connections, maxPipelined: options.depth });
  const window = windowFor(targets, options.connections, options.depth);
  const base = requestInit(options);

  // fetchEach errors its output when one request fails, as mergeMap does;
  // a run goes on past a failed URL. So this target never errors: each
  // fetch emits one Carrier, with the response or the error, and the time.
  const target: FetchTarget<{ target: Target }> = {
    fetch: (method, _url, init) =>
      defer(() => {
        const started = performance.now();
        const result = (fields: { response: HttpResponse } | { error: unknown }): HttpResponse =>
          new Carrier({ target: init!.target, ms: performance.now() - started, ...fields });
        return agent.fetch(method, init!.target.url, base()).pipe(
          map((response) => result({ response })),
          catchError((error: unknown) => of(result({ error }))),
        );
      }),
  };

  /** Index of the next target to hand to fetchEach. */
  let next = 0;
  /** Results written out so far; `next - written` is at most `window`. */
  let written = 0;
  let failures = 0;
  let bytes = 0;
  /** feed() is running: a nested call (a result written synchronously) only asks for another round. */
  let feeding = false;
  let again = false;
  /** An onDrain listener is registered. */
  let awaitingDrain = false;
  /** The source's feed(), once subscribed. */
  let feed = () => {};
  let subscription: Subscription | undefined;
  /** Resolves `done`: on completion, and from abort(), after which nothing else will. */
  let settle: (summary: RunSummary) => void = () => {};

  // The source hands over indices only as results are written and while
  // stdout has room: that is what bounds the memory (see above), since
  // fetchEach would take a whole array at once and start each as others finish.
  const indices = new Observable<number>((subscriber) => {
    feed = () => {
      if (feeding) {
        again = true;
        return;
      }
      feeding = true;
      try {
        do {
          again = false;
          while (next < targets.length && next - written < window && !output.full && !subscriber.closed) subscriber.next(next++);
        } while (again);
      } finally {
        feeding = false;
      }
      if (next === targets.length) subscriber.complete();
      else if (output.full && !awaitingDrain) {
        awaitingDrain = true;
        output.onDrain(() => {
          awaitingDrain = false;
          feed();
        });
      }
    };
    feed();
  });

  const done = new Promise<RunSummary>((resolve, reject) => {
    settle = resolve;
    subscription = indices
      .pipe(
        fetchEach(target, (i) => ({ method: options.method, url: targets[i]!.url, init: { target: targets[i]! } }), {
          concurrency: window,
        }),
      )
      .subscribe({
        next(response) {
          if (!(response instanceof Carrier)) throw new TypeError('fetchEach emitted a response it was not given');
          if (!output.write(response.result)) failures++;
          written++;
          bytes += response.result.response?.body.length ?? 0;
          options.onProgress?.(written, bytes);
          feed();
        },
        error(err) {
          agent.destroy();
          reject(err);
        },
        complete() {
          agent.close().then(() => resolve({ failures, aborted: false }), reject);
        },
      });
  });
  return {
    done,
    abort() {
      subscription?.unsubscribe();
      agent.destroy();
      settle({ failures, aborted: true });
    },
  };
}

/**
 * A Result on its way through fetchEach, which passes HttpResponses only.
 * Its own response fields are empty; `result` is what it carries.
 */
class Carrier extends HttpResponse {
  constructor(readonly result: Result) {
    super({ type: 'head', status: 0, reason: '', version: '1.1', headers: new HttpHeaders() }, new Uint8Array(0));
  }
}

/** The RequestInit of every request, made per request: a file body is a new read of the file each time. */
function requestInit(options: RunOptions): () => RequestInit {
  const { headers, data } = options;
  if (data === undefined) return () => ({ headers });
  if ('text' in data) return () => ({ headers, body: data.text });
  const { file, size } = data;
  // A body object per request (httpio refuses one AsyncIterable for two requests); the file is
  // opened only when httpio starts writing the body, and anew should it write it again.
  return () => {
    const body: RequestBody = { [Symbol.asyncIterator]: () => fs.createReadStream(file)[Symbol.asyncIterator]() };
    return { headers, body, contentLength: size };
  };
}

import { Observable } from 'rxjs';
import { admit } from '../connection/admit';
import { releaseStream } from '../connection/body';
import type { Exchange } from '../connection/exchange';
import { parseOrigin, type Origin } from '../connection/origin';
import { Lifecycle } from '../connection/lifecycle';
import { forRequest } from '../connection/naming';
import { Pipeline } from '../connection/pipeline';
import { EventHub, publishCreated, Telemetry } from '../connection/telemetry';
import { ConnectionClosed, type ConnectError } from '../errors';
import type { ConnectionEvent, ResponseEvent } from '../events';
import type { RequestInit } from '../http1/serializer';
import { readAll } from '../operators/readAll';
import { resolveOptions, type ConnectionOptions, type ResolvedOptions } from '../options';
import type { HttpResponse } from '../response';
import { choose, ResponseTimes } from './dispatch';
import { WaitingLine } from './line';

/** Options of an {@link HttpPool}: those of a connection, for each of its connections, and how many. */
export interface PoolOptions extends ConnectionOptions {
  /** Connections to the origin, at most; each pipelines up to `maxPipelined` requests. Default 4. */
  connections?: number;
}

export const DEFAULT_CONNECTIONS = 4;

/** How an HttpAgent hands its pools the one event stream they all report to; not public. */
export const SHARED_HUB = Symbol('httpio.sharedHub');

/**
 * Several pipelining connections to one origin, with the surface of an
 * {@link HttpConnection}. A request goes to an idle connection, else to a
 * new one while fewer than `connections` are open, else to the least
 * loaded whose head response is not stalled — so one slow response (a long
 * query, an event stream, an abandoned download) does not hold the
 * requests behind it. Requests that must wait do so in the pool, not on a
 * connection, and go to whichever connection frees up first. Once written,
 * a request keeps its connection's rules (docs/connection.md).
 *
 * @example
 * const pool = new HttpPool('https://store.example', { connections: 4, maxPipelined: 16 });
 * pool.fetch('GET', '/objects/1').subscribe((res) => console.log(res.status));
 * await pool.close();
 */
export class HttpPool {
  readonly #origin: Origin;
  readonly #options: ResolvedOptions;
  readonly #max: number;
  /** Every connection made so far; one without a socket costs nothing and reconnects on demand. */
  readonly #pipelines: Pipeline[] = [];
  /** Requests no connection has taken yet. */
  readonly #line = new WaitingLine();
  /** Which connection took each request; absent while it waits in the line. */
  readonly #homes = new WeakMap<Exchange, Pipeline>();
  readonly #times = new ResponseTimes();
  readonly #hub: EventHub;
  readonly #life = new Lifecycle();
  /** dispatch() is on the stack: a nested call only asks the loop to run again. */
  #dispatching = false;
  #again = false;

  /**
   * @param url the origin, `http://host[:port]` or `https://host[:port]`; nothing is connected until a request is subscribed.
   * @param options {@link PoolOptions}; a bad value throws TypeError or RangeError naming it.
   */
  constructor(url: string | URL, options?: PoolOptions) {
    const { connections = DEFAULT_CONNECTIONS, [SHARED_HUB]: hub, ...rest } = (options ?? {}) as PoolOptions & { [SHARED_HUB]?: EventHub };
    this.#hub = hub ?? new EventHub();
    if (typeof connections !== 'number' || !Number.isInteger(connections) || connections < 1) {
      throw new RangeError(`option connections must be an integer >= 1, got ${String(connections)}`);
    }
    this.#max = connections;
    this.#options = resolveOptions(rest);
    this.#origin = parseOrigin(url, this.#options);
  }

  /**
   * A hot stream of lifecycle events of every connection, each naming its
   * `connection`. Nothing is built while nobody subscribes.
   *
   * @example
   * pool.events.subscribe((e) => e.type === 'connect' && console.log('connection', e.connection, e.tls?.protocol));
   */
  get events(): Observable<ConnectionEvent> {
    return this.#hub.subject.asObservable();
  }

  /** Requests subscribed and not yet finished, in the line and on every connection. */
  get pending(): number {
    let pending = this.#line.size;
    for (const pipeline of this.#pipelines) pending += pipeline.pending;
    return pending;
  }

  /**
   * A request as a cold Observable of its response events, as
   * {@link HttpConnection.request}.
   *
   * @example
   * pool.request('GET', '/events', { timeout: 0 }).pipe(sse()).subscribe(console.log);
   */
  request(method: string, path: string, init?: RequestInit): Observable<ResponseEvent> {
    return new Observable<ResponseEvent>((subscriber) => {
      const exchange = admit(this.#origin, method, path, init, subscriber, this.#life.refusal);
      if (exchange === null) return;
      publishCreated(this.#origin.name, exchange);
      this.#line.push(exchange);
      this.#dispatch();
      return () => this.#cancel(exchange);
    });
  }

  /**
   * A request whose response is read whole: `request(...).pipe(readAll())`.
   *
   * @example
   * const res = await firstValueFrom(pool.fetch('GET', '/items/1'));
   */
  fetch(method: string, path: string, init?: RequestInit): Observable<HttpResponse> {
    return this.request(method, path, init).pipe(readAll());
  }

  /**
   * Graceful close: new requests are refused, the pending ones finish, then
   * every connection is closed. Resolves when that is done.
   *
   * @example
   * await pool.close();
   */
  close(): Promise<void> {
    return this.#life.close(() => this.#settleClose());
  }

  /**
   * Closes now: every unfinished request errors with ConnectionClosed
   * (`sent` tells which were written) and every socket is destroyed.
   *
   * @example
   * process.on('SIGTERM', () => pool.destroy());
   */
  destroy(): void {
    if (!this.#life.destroy()) return;
    for (const exchange of this.#line.takeAll()) {
      const subscriber = exchange.subscriber;
      this.#forget(exchange);
      subscriber?.error(forRequest(new ConnectionClosed('the pool was destroyed', { sent: false }), exchange.request));
    }
    for (const pipeline of this.#pipelines) pipeline.destroy();
    this.#settleClose();
  }

  /** Hands waiting requests to connections while choose() finds one. */
  #dispatch(): void {
    if (this.#dispatching) {
      this.#again = true;
      return;
    }
    this.#dispatching = true;
    try {
      do {
        this.#again = false;
        const now = Date.now();
        for (let next = this.#line.peek(); next !== undefined; next = this.#line.peek()) {
          let target = choose(this.#pipelines, this.#max, this.#times, now);
          if (target === null) break;
          if (target === 'new') target = this.#open();
          this.#line.take();
          this.#homes.set(next, target);
          target.enqueue(next);
          if (this.#life.destroyed) return;
        }
      } while (this.#again);
    } finally {
      this.#dispatching = false;
    }
  }

  #open(): Pipeline {
    const pipeline = new Pipeline(
      this.#origin,
      this.#options,
      {
        settled: () => {
          this.#dispatch();
          this.#settleClose();
        },
        changed: () => this.#dispatch(),
        answered: (ms) => this.#times.record(ms),
        connectFailed: (err) => this.#connectFailed(err),
      },
      new Telemetry(this.#hub, this.#origin.name, this.#pipelines.length),
    );
    this.#pipelines.push(pipeline);
    return pipeline;
  }

  /**
   * A connection could not be made. While no other connection is up, the
   * requests in line fail with the same error, as on one connection: no
   * loop of connection attempts (the caller decides, with `retry`).
   */
  #connectFailed(err: ConnectError): void {
    if (this.#pipelines.some((pipeline) => pipeline.connected)) return;
    for (const exchange of this.#line.takeAll()) {
      const subscriber = exchange.subscriber;
      this.#forget(exchange);
      subscriber?.error(forRequest(err, exchange.request));
    }
  }

  #cancel(exchange: Exchange): void {
    const home = this.#homes.get(exchange);
    if (home !== undefined) return home.cancel(exchange);
    if (exchange.subscriber === null) return;
    this.#line.remove(exchange);
    this.#forget(exchange);
    this.#settleClose();
  }

  /** Detaches a request that never reached a connection. */
  #forget(exchange: Exchange): void {
    exchange.subscriber = null;
    // A stream never read may be sent by a later request (a retry).
    if (exchange.request.stream !== null) releaseStream(exchange.request.stream);
  }

  /** Finishes a close() once nothing is pending. */
  #settleClose(): void {
    this.#life.settle(this.pending, () => Promise.all(this.#pipelines.map((pipeline) => pipeline.shutDown())));
  }
}

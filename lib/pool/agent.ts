import { Observable } from 'rxjs';
import { ConnectionClosed, RequestError } from '../errors';
import type { ConnectionEvent, ResponseEvent } from '../events';
import type { RequestInit } from '../http1/serializer';
import { readAll } from '../operators/readAll';
import { resolveOptions, type ConnectionOptions } from '../options';
import type { HttpResponse } from '../response';
import { EventHub } from '../connection/telemetry';
import { DEFAULT_CONNECTIONS, HttpPool, SHARED_HUB } from './pool';

/** Options of an {@link HttpAgent}: those of a connection, for every connection it makes, and how many per origin. */
export interface AgentOptions extends ConnectionOptions {
  /** Connections per origin, at most. Default 4. */
  connectionsPerOrigin?: number;
}

/** A pool with nothing pending for this long is closed and forgotten; the next request makes a new one. */
const IDLE_POOL_MS = 60_000;

/**
 * Requests to any origin by absolute URL: one {@link HttpPool} per origin
 * (scheme, host and port; the agent's TLS, proxy and socket settings apply
 * to all), made on first use and closed when it has had nothing to do for a
 * minute. A relative URL, or one that is not http: or https:, errors the
 * request with RequestError before anything is written.
 *
 * @example
 * const agent = new HttpAgent({ connectionsPerOrigin: 4 });
 * agent.fetch('GET', 'https://api.example/items?page=2').subscribe((res) => console.log(res.json()));
 * await agent.close();
 */
export class HttpAgent {
  readonly #options: ConnectionOptions;
  readonly #connections: number;
  readonly #pools = new Map<string, { pool: HttpPool; used: number }>();
  #sweeper: NodeJS.Timeout | undefined = undefined;
  #state: 'open' | 'closed' | 'destroyed' = 'open';
  readonly #hub = new EventHub();

  /** @param options {@link AgentOptions}; a bad value throws TypeError or RangeError naming it. */
  constructor(options?: AgentOptions) {
    const { connectionsPerOrigin = DEFAULT_CONNECTIONS, ...rest } = options ?? {};
    if (typeof connectionsPerOrigin !== 'number' || !Number.isInteger(connectionsPerOrigin) || connectionsPerOrigin < 1) {
      throw new RangeError(`option connectionsPerOrigin must be an integer >= 1, got ${String(connectionsPerOrigin)}`);
    }
    // Checked now, so a bad option fails here and not at the first request.
    resolveOptions(rest);
    this.#options = rest;
    this.#connections = connectionsPerOrigin;
  }

  /**
   * A hot stream of lifecycle events of every connection to every origin,
   * each naming its `origin`. Nothing is built while nobody subscribes.
   *
   * @example
   * agent.events.subscribe((e) => e.type === 'connect' && metrics.increment(`connect ${e.origin}`));
   */
  get events(): Observable<ConnectionEvent> {
    return this.#hub.subject.asObservable();
  }

  /** Requests subscribed and not yet finished, over every origin. */
  get pending(): number {
    let pending = 0;
    for (const { pool } of this.#pools.values()) pending += pool.pending;
    return pending;
  }

  /**
   * A request to an absolute URL as a cold Observable of its response events.
   *
   * @example
   * agent.request('GET', new URL('/big', base)).subscribe((event) => event.type === 'data' && sink.write(event.data));
   */
  request(method: string, url: string | URL, init?: RequestInit): Observable<ResponseEvent> {
    return new Observable<ResponseEvent>((subscriber) => {
      if (this.#state !== 'open') {
        subscriber.error(new ConnectionClosed(`the agent was ${this.#state}: it takes no new requests`, { sent: false }));
        return;
      }
      let target: { origin: string; path: string };
      try {
        target = split(method, url);
      } catch (err) {
        subscriber.error(err);
        return;
      }
      return this.#pool(target.origin).request(method, target.path, init).subscribe(subscriber);
    });
  }

  /**
   * A request whose response is read whole: `request(...).pipe(readAll())`.
   *
   * @example
   * const res = await firstValueFrom(agent.fetch('GET', 'http://127.0.0.1:8080/health'));
   */
  fetch(method: string, url: string | URL, init?: RequestInit): Observable<HttpResponse> {
    return this.request(method, url, init).pipe(readAll());
  }

  /**
   * Graceful close of every pool: new requests are refused, pending ones
   * finish, then every connection is closed.
   *
   * @example
   * await agent.close();
   */
  async close(): Promise<void> {
    if (this.#state === 'open') this.#state = 'closed';
    clearInterval(this.#sweeper);
    await Promise.all([...this.#pools.values()].map(({ pool }) => pool.close()));
  }

  /**
   * Closes every pool now: unfinished requests error with ConnectionClosed.
   *
   * @example
   * process.on('SIGTERM', () => agent.destroy());
   */
  destroy(): void {
    this.#state = 'destroyed';
    clearInterval(this.#sweeper);
    for (const { pool } of this.#pools.values()) pool.destroy();
  }

  #pool(origin: string): HttpPool {
    const now = Date.now();
    let entry = this.#pools.get(origin);
    if (entry === undefined) {
      const options = { ...this.#options, connections: this.#connections, [SHARED_HUB]: this.#hub };
      entry = { pool: new HttpPool(origin, options), used: now };
      this.#pools.set(origin, entry);
      this.#sweeper ??= setInterval(() => this.#sweep(), IDLE_POOL_MS / 2).unref();
    }
    entry.used = now;
    return entry.pool;
  }

  /** Forgets the pools idle for a while, so a crawler over many origins does not keep one per origin forever. */
  #sweep(): void {
    const now = Date.now();
    for (const [origin, entry] of this.#pools) {
      if (entry.pool.pending === 0 && now - entry.used > IDLE_POOL_MS) {
        this.#pools.delete(origin);
        void entry.pool.close();
      }
    }
    if (this.#pools.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}

/** The origin and the request target of an absolute http(s) URL; RequestError for anything else. */
function split(method: string, url: string | URL): { origin: string; path: string } {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    throw new RequestError(`${method} ${String(url)}: not an absolute URL (an agent needs scheme and host)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RequestError(`${method} ${parsed.href}: unsupported protocol ${parsed.protocol}; use http: or https:`);
  }
  if (parsed.username || parsed.password) {
    throw new RequestError(
      `${method} ${parsed.protocol}//${parsed.host}${parsed.pathname}: credentials in the URL are not sent; pass an Authorization header`,
    );
  }
  // RFC 9110 §4.2.4: the fragment is not part of the request target.
  return { origin: `${parsed.protocol}//${parsed.host}`, path: `${parsed.pathname}${parsed.search}` };
}

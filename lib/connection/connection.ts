import { Observable } from 'rxjs';
import type { ConnectionEvent, ResponseEvent } from '../events';
import type { RequestInit } from '../http1/serializer';
import { readAll } from '../operators/readAll';
import { resolveOptions, type ConnectionOptions, type ResolvedOptions } from '../options';
import type { HttpResponse } from '../response';
import { admit } from './admit';
import { Lifecycle } from './lifecycle';
import { parseOrigin, type Origin } from './origin';
import { Pipeline } from './pipeline';
import { EventHub, publishCreated, Telemetry } from './telemetry';

/**
 * A pipelining HTTP/1.1 connection to one origin. Each request is a cold
 * Observable: subscribing queues it, and it is written as soon as the
 * pipeline has room, back to back with the others on one socket. Responses
 * come back in order, each to its own subscriber.
 *
 * @example
 * const conn = new HttpConnection('http://127.0.0.1:8080');
 * conn.fetch('GET', '/status').subscribe((res) => console.log(res.status, res.text()));
 * await conn.close();
 */
export class HttpConnection {
  readonly #origin: Origin;
  readonly #options: ResolvedOptions;
  readonly #pipeline: Pipeline;
  readonly #hub = new EventHub();
  readonly #life = new Lifecycle();

  /**
   * @param url the origin, `http://host[:port]` or `https://host[:port]`; nothing is connected until a request is subscribed.
   * @param options see {@link ConnectionOptions}; a bad value throws TypeError or RangeError naming it.
   */
  constructor(url: string | URL, options?: ConnectionOptions) {
    this.#options = resolveOptions(options);
    this.#origin = parseOrigin(url, this.#options);
    this.#pipeline = new Pipeline(
      this.#origin,
      this.#options,
      { settled: () => this.#settleClose() },
      new Telemetry(this.#hub, this.#origin.name, 0),
    );
  }

  /**
   * A hot stream of lifecycle events: connect, written, head, resent,
   * disconnect, timeout. Nothing is built while nobody subscribes.
   *
   * @example
   * conn.events.pipe(filter((e) => e.type === 'disconnect')).subscribe((e) => log.info('socket gone', e.cause));
   */
  get events(): Observable<ConnectionEvent> {
    return this.#hub.subject.asObservable();
  }

  /** Requests subscribed and not yet finished. */
  get pending(): number {
    return this.#pipeline.pending;
  }

  /**
   * A request as a cold Observable of its response events. Nothing happens
   * until it is subscribed; requests go on the wire in subscription order.
   * Invalid arguments error it with RequestError and nothing is written.
   *
   * @example
   * conn.request('GET', '/large').subscribe((event) => {
   *   if (event.type === 'data') sink.write(event.data);
   * });
   */
  request(method: string, path: string, init?: RequestInit): Observable<ResponseEvent> {
    return new Observable<ResponseEvent>((subscriber) => {
      const exchange = admit(this.#origin, method, path, init, subscriber, this.#life.refusal);
      if (exchange === null) return;
      publishCreated(this.#origin.name, exchange);
      this.#pipeline.enqueue(exchange);
      return () => this.#pipeline.cancel(exchange);
    });
  }

  /**
   * A request whose response is read whole: `request(...).pipe(readAll())`.
   *
   * @example
   * const res = await firstValueFrom(conn.fetch('GET', '/items/1'));
   * const item = res.json<Item>();
   */
  fetch(method: string, path: string, init?: RequestInit): Observable<HttpResponse> {
    return this.request(method, path, init).pipe(readAll());
  }

  /**
   * Graceful close: new requests are refused, the pending ones finish, then
   * the socket is half-closed and httpio waits briefly for the server's own
   * close (so the server never sees a reset). Resolves when that is done.
   *
   * @example
   * await conn.close();
   */
  close(): Promise<void> {
    return this.#life.close(() => this.#settleClose());
  }

  /**
   * Closes now: every unfinished request errors with ConnectionClosed
   * (`sent` tells which were written) and the socket is destroyed.
   *
   * @example
   * process.on('SIGTERM', () => conn.destroy());
   */
  destroy(): void {
    if (!this.#life.destroy()) return;
    this.#pipeline.destroy();
    this.#settleClose();
  }

  /** Finishes a close() once nothing is pending. */
  #settleClose(): void {
    this.#life.settle(this.#pipeline.pending, () => this.#pipeline.shutDown());
  }
}

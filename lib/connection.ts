import { Observable, tap, type Subscriber, type Subscription } from 'rxjs';
import { ConnectError, ConnectionClosed, HttpioError, ResponseTimeout } from './errors';
import type { HeadEvent, ResponseEvent } from './events';
import { hasToken } from './headers';
import { readAll } from './operators';
import type { HttpResponse } from './response';
import { parseOrigin, resolveOptions, type ConnectionOptions, type Origin, type ResolvedOptions } from './options';
import { parseResponses, type ParsedEvent, type ParserLimits } from './parser';
import { serializeRequest, type RequestInit, type SerializedRequest } from './serializer';
import { openSocket, type Wire } from './socket';

/** One request from subscribe to its end. */
class Exchange {
  /** The caller; null once it has been answered, has failed, or has unsubscribed (a written request's response is then read and dropped). */
  subscriber: Subscriber<ResponseEvent> | null;
  /** Its bytes were handed to the current socket. */
  written = false;
  /** How many sockets it has been written to; a re-sent request is never written a third time. */
  writes = 0;

  constructor(readonly request: SerializedRequest, subscriber: Subscriber<ResponseEvent>) {
    this.subscriber = subscriber;
  }
}

/** One socket's life; a connection goes through several. */
class Link {
  /** The write side; null until connected. */
  wire: Wire | null = null;
  subscription: Subscription | null = null;
  /** RFC 9112 §9.3.2: after an unexpected close, the first request goes alone until its head shows the server keeps the connection. */
  probing: boolean;
  /** Nothing more is written: the connection ends after the responses in flight (announced close, or a caller's `Connection: close`). */
  draining = false;
  /** Responses completed on this socket. */
  responses = 0;
  /**
   * Responses the bytes being parsed may still hold: those in flight when
   * they arrived. A response beyond that cannot answer a request written
   * since, so it is unsolicited (a server talking out of turn).
   */
  answerable = 0;
  /** Milliseconds of idleness after which the connection is dropped, from `Keep-Alive: timeout` or the option. */
  idleLimit: number;
  idleTimer: NodeJS.Timeout | undefined = undefined;
  /** Runs while requests are in flight; refreshed by every read and write (see armTimeout). */
  responseTimer: NodeJS.Timeout | undefined = undefined;

  constructor(probing: boolean, idleLimit: number) {
    this.probing = probing;
    this.idleLimit = idleLimit;
  }
}

const OPEN = 0;
const CLOSING = 1;
const DESTROYED = 2;

/** Drop an idle connection this long before the server's announced keep-alive timeout. */
const KEEP_ALIVE_MARGIN = 1_000;

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
  private readonly origin: Origin;
  private readonly options: ResolvedOptions;
  private readonly limits: ParserLimits;

  /**
   * Every unfinished request, in subscription order (= wire order):
   *
   *   [ answered … | in flight: written, unanswered … | waiting: not yet written … ]
   *   0            ^first                              ^next                        ^queue.length
   *
   * Responses are routed to queue[first]; pump() writes queue[next].
   */
  private queue: Exchange[] = [];
  private first = 0;
  private next = 0;
  /** Requests subscribed and not yet finished: the public `pending`. */
  private live = 0;
  /** The current socket, or null between sockets. */
  private link: Link | null = null;
  /** The next socket starts by probing: the last one closed without warning, or its server does not keep connections. */
  private probeNext = false;
  private state = OPEN;
  private closed: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;

  /**
   * @param url the origin, `http://host[:port]`; nothing is connected until a request is subscribed.
   * @param options see {@link ConnectionOptions}; a bad value throws TypeError or RangeError naming it.
   */
  constructor(url: string | URL, options?: ConnectionOptions) {
    this.origin = parseOrigin(url);
    this.options = resolveOptions(options);
    this.limits = { maxHeaderSize: this.options.maxHeaderSize, maxResponseSize: this.options.maxResponseSize };
  }

  /** Requests subscribed and not yet finished. */
  get pending(): number {
    return this.live;
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
      if (this.state !== OPEN) {
        const why = this.state === CLOSING ? 'closed' : 'destroyed';
        subscriber.error(new ConnectionClosed(`the connection was ${why}: it takes no new requests`, { sent: false }));
        return;
      }
      let request: SerializedRequest;
      try {
        request = serializeRequest(method, path, init, this.origin.host);
      } catch (err) {
        subscriber.error(err);
        return;
      }
      const exchange = new Exchange(request, subscriber);
      this.queue.push(exchange);
      this.live++;
      this.pump();
      return () => this.cancel(exchange);
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
   * the socket is closed. Resolves when that is done.
   *
   * @example
   * await conn.close();
   */
  close(): Promise<void> {
    if (this.closed === null) {
      this.closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
      if (this.state === OPEN) this.state = CLOSING;
      this.settleClose();
    }
    return this.closed;
  }

  /**
   * Closes now: every unfinished request errors with ConnectionClosed
   * (`sent` tells which were written) and the socket is destroyed.
   *
   * @example
   * process.on('SIGTERM', () => conn.destroy());
   */
  destroy(): void {
    if (this.state === DESTROYED) return;
    this.state = DESTROYED;
    if (this.link !== null) this.retire(this.link);
    const unfinished = this.queue.slice(this.first);
    this.queue = [];
    this.first = this.next = 0;
    for (const exchange of unfinished) {
      this.fail(exchange, new ConnectionClosed('the connection was destroyed', { sent: exchange.written }));
    }
    this.settleClose();
  }

  // --- Writing -----------------------------------------------------------------

  /** Writes waiting requests while busy() allows; connects first when there is no socket. */
  private pump(): void {
    const link = this.link;
    if (link === null) {
      if (this.next < this.queue.length && this.state !== DESTROYED) this.connect();
      return;
    }
    if (link.wire === null) return;
    while (this.next < this.queue.length && !this.busy(link, this.queue[this.next])) {
      const exchange = this.queue[this.next++];
      exchange.written = true;
      exchange.writes++;
      link.wire.write(exchange.request.head);
      if (exchange.request.body !== null) link.wire.write(exchange.request.body);
      if (exchange.request.closes) link.draining = true;
    }
    this.updateTimers(link);
  }

  /**
   * Whether the next waiting request must wait. Every rule that holds a
   * request back is here, and only here.
   */
  private busy(link: Link, waiting: Exchange): boolean {
    const inFlight = this.next - this.first;
    // The connection ends after the responses in flight: writing more would be lost.
    if (link.draining) return true;
    // Pipelining depth.
    if (inFlight >= this.options.maxPipelined) return true;
    if (inFlight === 0) return false;
    // RFC 9112 §9.3.2: a server that closed without warning may not pipeline;
    // the first request on the next connection goes alone until its head arrives.
    if (link.probing) return true;
    // A re-sent request goes first in line: no response ahead of it can then
    // announce a close that would force a third write.
    return waiting.writes > 0;
  }

  private connect(): void {
    const link = new Link(this.probeNext, this.options.keepAliveTimeout);
    this.probeNext = false;
    this.link = link;
    const events = openSocket(this.origin.endpoint, { connectTimeout: this.options.connectTimeout }, (wire) => {
      if (this.link !== link) return;
      link.wire = wire;
      this.pump();
    }).pipe(
      tap((bytes) => this.onBytes(link, bytes)),
      parseResponses(() => this.first < this.next && this.queue[this.first].request.isHead, this.limits),
    );
    const subscription = events.subscribe({
      next: (event) => this.onEvent(link, event),
      error: (err) => this.onDown(link, err),
      complete: () => this.onDown(link, null),
    });
    if (this.link === link) link.subscription = subscription;
    else subscription.unsubscribe();
  }

  // --- Reading -------------------------------------------------------------------

  private onBytes(link: Link, bytes: Uint8Array): void {
    if (this.link !== link) return;
    link.answerable = this.next - this.first;
    link.responseTimer?.refresh();
  }

  private onEvent(link: Link, event: ParsedEvent): void {
    if (this.link !== link) return;
    if (link.answerable === 0) {
      // Bytes nobody asked for: typically a 408 before an idle close. They
      // cannot answer a request written since they arrived, so the socket is
      // not used again; such a request may be on the wire, so it is lost.
      this.onDown(link, new ConnectionClosed('the server sent a response nobody asked for', { sent: true }));
      return;
    }
    const exchange = this.queue[this.first];
    switch (event.type) {
      case 'head':
        this.onHead(link, exchange, event);
        return;
      case 'end':
        this.onEnd(link, exchange);
        return;
      default:
        exchange.subscriber?.next(event);
    }
  }

  private onHead(link: Link, exchange: Exchange, head: HeadEvent): void {
    const connection = head.headers.get('connection');
    // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
    const persistent = head.version === '1.1' ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive');
    if (!persistent) {
      link.draining = true;
      // The server answered the first request and closes: it does not keep
      // connections, so the next socket carries one request at a time.
      if (link.responses === 0) this.probeNext = true;
      this.unwriteBehind(link);
    } else {
      link.probing = false;
      const hint = /(?:^|[,;\s])timeout\s*=\s*"?(\d+)/i.exec(head.headers.get('keep-alive') ?? '');
      if (hint !== null) link.idleLimit = Math.max(0, Number(hint[1]) * 1000 - KEEP_ALIVE_MARGIN);
    }
    exchange.subscriber?.next(head);
    if (this.link === link) this.pump();
  }

  /**
   * RFC 9112 §9.6: a server that announces its close processes nothing after
   * that response, so the requests written behind it go back to waiting, to
   * be written on the next socket. Those whose caller has left are dropped.
   */
  private unwriteBehind(link: Link): void {
    const behind = this.queue.splice(this.first + 1, this.next - this.first - 1);
    this.next = this.first + 1;
    link.answerable = Math.min(link.answerable, 1);
    const resend = behind.filter((exchange) => exchange.subscriber !== null);
    for (const exchange of resend) exchange.written = false;
    this.queue.splice(this.next, 0, ...resend);
  }

  private onEnd(link: Link, exchange: Exchange): void {
    this.first++;
    link.responses++;
    link.answerable--;
    if (this.first === this.queue.length) {
      this.queue = [];
      this.first = this.next = 0;
    } else if (this.first > 1024 && this.first * 2 > this.queue.length) {
      this.queue.splice(0, this.first);
      this.next -= this.first;
      this.first = 0;
    }
    const subscriber = this.release(exchange);
    subscriber?.complete();
    if (this.link !== link) return;
    if (link.draining && this.first === this.next) this.retire(link);
    this.pump();
    this.settleClose();
  }

  /** The socket ended or failed (err null: the server closed between responses). */
  private onDown(link: Link, err: unknown): void {
    if (this.link !== link) return;
    this.retire(link);
    if (err instanceof ConnectError) {
      // Nothing was written; the waiting requests fail rather than loop on reconnects.
      const waiting = this.queue.splice(this.next);
      for (const exchange of waiting) this.fail(exchange, err);
    } else {
      const inFlight = this.queue.splice(this.first, this.next - this.first);
      this.next = this.first;
      if (inFlight.length > 0 && !link.draining) this.probeNext = true;
      inFlight.forEach((exchange, i) => {
        const own = i === 0 && err instanceof HttpioError && !(err instanceof ConnectionClosed);
        this.fail(exchange, own ? err : lost(err, i));
      });
    }
    this.pump();
    this.settleClose();
  }

  // --- Timers ------------------------------------------------------------------------

  /** Arms the response timeout while requests are in flight, and the idle timer when none are. */
  private updateTimers(link: Link): void {
    const wire = link.wire;
    if (wire === null || this.link !== link) return;
    if (this.next > this.first) {
      clearTimeout(link.idleTimer);
      link.idleTimer = undefined;
      wire.setIdle(false);
      this.armTimeout(link);
    } else if (this.next === this.queue.length && link.idleTimer === undefined && !link.draining) {
      wire.setIdle(true);
      link.idleTimer = setTimeout(() => {
        if (this.link === link && this.first === this.queue.length) this.retire(link);
      }, link.idleLimit).unref();
    }
  }

  /**
   * One timer per socket, refreshed by every read instead of re-created: it
   * fires only after `timeout` ms with no byte, and then does nothing if no
   * request is waiting for one.
   */
  private armTimeout(link: Link): void {
    if (this.options.timeout === 0) return;
    if (link.responseTimer === undefined) {
      link.responseTimer = setTimeout(() => this.onTimeout(link), this.options.timeout).unref();
    } else {
      link.responseTimer.refresh();
    }
  }

  private onTimeout(link: Link): void {
    if (this.link !== link || this.next === this.first) return;
    this.onDown(link, new ResponseTimeout(`no response byte within timeout (${this.options.timeout} ms)`));
  }

  // --- Endings -----------------------------------------------------------------------

  /** Drops a socket for good; its requests are the caller's to settle. */
  private retire(link: Link): void {
    if (this.link === link) this.link = null;
    clearTimeout(link.idleTimer);
    clearTimeout(link.responseTimer);
    link.subscription?.unsubscribe();
  }

  private cancel(exchange: Exchange): void {
    if (exchange.subscriber === null) return;
    this.release(exchange);
    if (!exchange.written) {
      // Not on the wire: it simply leaves the queue.
      const index = this.queue.indexOf(exchange, this.next);
      if (index !== -1) this.queue.splice(index, 1);
    }
    // A written one stays: its response is still read, so the pipeline stays in step.
    this.settleClose();
  }

  /** Detaches the caller and returns it, so state is settled before any caller code runs. */
  private release(exchange: Exchange): Subscriber<ResponseEvent> | null {
    const subscriber = exchange.subscriber;
    if (subscriber !== null) {
      exchange.subscriber = null;
      this.live--;
    }
    return subscriber;
  }

  private fail(exchange: Exchange, err: unknown): void {
    this.release(exchange)?.error(err);
  }

  /** Finishes a close() once nothing is pending. */
  private settleClose(): void {
    if (this.state === OPEN || this.live > 0 || this.resolveClosed === null) return;
    if (this.link !== null) this.retire(this.link);
    this.queue = [];
    this.first = this.next = 0;
    const resolve = this.resolveClosed;
    this.resolveClosed = null;
    resolve();
  }
}

/** The error for a written request whose connection went away. */
function lost(err: unknown, position: number): ConnectionClosed {
  const why = err === null
    ? 'the server closed the connection before the response ended'
    : position === 0 && err instanceof ConnectionClosed
      ? err.message
      : `the connection was lost before the response: ${err instanceof Error ? err.message : String(err)}`;
  const cause = err instanceof ConnectionClosed ? (err.cause ?? err) : (err ?? undefined);
  return new ConnectionClosed(why, { sent: true, cause });
}

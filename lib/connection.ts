import { Observable, tap, type Subscriber } from 'rxjs';
import { releaseStream } from './body';
import { ConnectError, ConnectionClosed, HttpioError, RequestError, ResponseTimeout } from './errors';
import type { HeadEvent, ResponseEvent } from './events';
import type { DataChunk } from './flow';
import { Exchange, Link } from './link';
import { readAll } from './operators';
import { parseOrigin, resolveOptions, type ConnectionOptions, type Origin, type ResolvedOptions } from './options';
import { parseResponses, type ParsedEvent, type ParserLimits } from './parser';
import { connectionAfter, idleLimit } from './persistence';
import { RequestQueue } from './queue';
import type { HttpResponse } from './response';
import { serializeRequest, type RequestInit, type SerializedRequest } from './serializer';
import { openSocket } from './socket';

const OPEN = 0;
const CLOSING = 1;
const DESTROYED = 2;

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

  /** Every unfinished request, in wire order: in flight, then waiting. */
  private readonly queue = new RequestQueue();
  /** Requests subscribed and not yet finished: the public `pending`. */
  private live = 0;
  /** The current socket, or null between sockets. */
  private link: Link | null = null;
  /** The next socket starts by probing: the last one closed without warning, or its server does not keep connections. */
  private probeNext = false;
  private state = OPEN;
  /** pump() is on the stack: a nested call (from a body that ends at once, say) leaves the work to its loop. */
  private pumping = false;
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
    for (const exchange of this.queue.takeAll()) {
      this.fail(exchange, new ConnectionClosed('the connection was destroyed', { sent: exchange.written }));
    }
    this.settleClose();
  }

  // --- Writing: the queue onto the socket -------------------------------------------

  /** Writes waiting requests while busy() allows; connects first when there is no socket. */
  private pump(): void {
    const link = this.link;
    if (link === null) {
      if (this.queue.waiting !== undefined && this.state !== DESTROYED) this.connect();
      return;
    }
    // A nested call (a body that ends at once, say) leaves the work to the loop below.
    if (link.wire === null || this.pumping) return;
    this.pumping = true;
    try {
      for (let next = this.queue.waiting; next !== undefined && this.link === link && !this.busy(link, next); next = this.queue.waiting) {
        this.write(link, this.queue.take());
      }
    } finally {
      this.pumping = false;
    }
    this.updateTimers(link);
  }

  /**
   * Whether the next waiting request must wait. Every rule that holds a
   * request back is here, and only here.
   */
  private busy(link: Link, waiting: Exchange): boolean {
    const inFlight = this.queue.inFlight;
    // The connection ends after the responses in flight: writing more would be lost.
    if (link.draining) return true;
    // A body not all on the wire (held for 100 Continue, or streaming): the
    // next request's bytes would land inside it.
    if (link.gate !== null) return true;
    // The caller's bound on requests that a dropped connection can take down at once.
    if (inFlight >= this.options.maxPipelined) return true;
    if (inFlight === 0) return false;
    // RFC 9112 §9.3.2: a server that closed without warning may not pipeline;
    // the first request on the next connection goes alone until its head arrives.
    if (link.probing) return true;
    // A re-sent request goes first in line: no response ahead of it can then
    // announce a close that would force a third write.
    return waiting.writes > 0;
  }

  private write(link: Link, exchange: Exchange): void {
    exchange.written = true;
    exchange.writes++;
    link.wire!.write(exchange.request.head);
    // The timeout counts from the moment something is awaited, not from every write behind it.
    if (this.queue.inFlight === 1) this.armTimeout(link);
    if (exchange.request.closes) link.draining = true;
    if (exchange.request.expect100) {
      // RFC 9110 §10.1.1: the body waits for 100 Continue, or for expect100Timeout.
      link.gate = exchange;
      exchange.holdBody();
      this.awaitExpectation(link);
    } else {
      this.sendBody(link, exchange);
    }
  }

  /** Starts the expect100Timeout of the awaited request, if it holds its body. */
  private awaitExpectation(link: Link): void {
    const head = this.queue.head;
    if (head?.awaiting100) head.startExpectTimer(this.options.expect100Timeout, () => this.sendBody(link, head));
  }

  /** Puts the body on the wire; a streamed one holds the gate until it ends. */
  private sendBody(link: Link, exchange: Exchange): void {
    if (this.link !== link || link.wire === null) return;
    link.gate = exchange;
    if (exchange.sendBody(link.wire, (err) => this.onBodyEnd(link, exchange, err))) {
      link.gate = null;
      this.bodySent(link, exchange);
      this.pump();
    }
  }

  /** The awaited request's body is all out: its response is owed from now, not from when its head went. */
  private bodySent(link: Link, exchange: Exchange): void {
    if (this.queue.head === exchange) link.responseTimer?.refresh();
  }

  private onBodyEnd(link: Link, exchange: Exchange, err: RequestError | null): void {
    if (link.gate === exchange) link.gate = null;
    if (this.link !== link) return;
    if (err !== null) {
      this.breakBody(link, exchange);
      this.fail(exchange, err);
      this.dropIfBroken(link);
      return;
    }
    this.bodySent(link, exchange);
    this.pump();
  }

  /** Stops the rest of a body: the socket, its request cut short, carries nothing more. */
  private cutBody(link: Link, exchange: Exchange): void {
    exchange.stopBody();
    if (link.gate === exchange) link.gate = null;
    link.draining = true;
  }

  /**
   * A body that stopped half-way with nobody to answer for it (it failed, or
   * its caller left): the responses ahead are still read, then the socket is
   * dropped when its turn comes.
   */
  private breakBody(link: Link, exchange: Exchange): void {
    this.cutBody(link, exchange);
    exchange.broken = true;
  }

  /** Drops the socket when the request whose turn has come had its body cut short. */
  private dropIfBroken(link: Link): boolean {
    if (this.queue.head?.broken !== true) return false;
    this.onDown(link, null);
    return true;
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
      tap(() => this.onRead(link)),
      parseResponses(() => this.queue.head?.request.isHead === true, this.limits, link.flow),
    );
    // A consumer slower than the network pauses the socket itself, so TCP
    // holds the server back instead of our memory. The response is owed a
    // whole timeout again from the moment reading resumes.
    link.flow.onChange(() => {
      if (link.flow.paused) return link.wire?.pause();
      link.wire?.resume();
      link.responseTimer?.refresh();
    });
    link.subscription = events.subscribe({
      next: (event) => this.onEvent(link, event),
      error: (err) => this.onDown(link, err),
      complete: () => this.onDown(link, null),
    });
  }

  // --- Reading: responses to their requests ------------------------------------------

  private onRead(link: Link): void {
    if (this.link !== link) return;
    link.answerable = this.queue.inFlight;
    link.responseTimer?.refresh();
  }

  private onEvent(link: Link, event: ParsedEvent): void {
    if (this.link !== link) return;
    const exchange = this.queue.head;
    if (link.answerable === 0 || exchange === undefined) {
      // Bytes nobody asked for: typically a 408 before an idle close. They
      // cannot answer a request written since they arrived, so the socket is
      // not used again; such a request may be on the wire, so it is lost.
      this.onDown(link, new ConnectionClosed('the server sent a response nobody asked for', { sent: true }));
      return;
    }
    switch (event.type) {
      case 'informational':
        // An unsolicited 100 is passed on and otherwise ignored.
        if (event.status === 100 && exchange.awaiting100) this.sendBody(link, exchange);
        exchange.subscriber?.next(event);
        return;
      case 'head':
        this.onHead(link, exchange, event);
        return;
      case 'end':
        this.onEnd(link, exchange);
        return;
      case 'data':
        // Its pause() belongs to this request: unsubscribing lifts it.
        (event as DataChunk).owner = exchange;
        exchange.subscriber?.next(event);
        return;
      default:
        exchange.subscriber?.next(event);
    }
  }

  private onHead(link: Link, exchange: Exchange, head: HeadEvent): void {
    // A final status before the body is all sent (a 417 or 413 instead of
    // 100 Continue, or an early answer to an upload): the rest is not sent.
    if (exchange.bodyPending) this.cutBody(link, exchange);
    const { persistent, idleMs } = connectionAfter(head, exchange.request.isHead);
    if (!persistent) {
      link.draining = true;
      // The server answered the first request and closes: it does not keep
      // connections, so the next socket carries one request at a time (unless
      // the caller asked for the close).
      if (link.responses === 0 && !exchange.request.closes) this.probeNext = true;
      this.unwriteBehind(link);
    } else {
      link.probing = false;
      if (idleMs !== null) link.idleLimit = idleLimit(idleMs);
    }
    exchange.subscriber?.next(head);
    if (this.link === link) this.pump();
  }

  /**
   * RFC 9112 §9.6: a server that announces its close processes nothing after
   * that response, so the requests written behind it go back to waiting, to
   * be written on the next socket. Those whose caller has left are dropped;
   * one whose streamed body was read cannot be sent again, and fails.
   */
  private unwriteBehind(link: Link): void {
    link.answerable = Math.min(link.answerable, 1);
    const behind = this.queue.takeBehindHead();
    const resend: Exchange[] = [];
    const spent: Exchange[] = [];
    for (const exchange of behind) {
      // A held body must not go out on this socket when its timer fires.
      exchange.stopHolding();
      if (link.gate === exchange) link.gate = null;
      if (exchange.bodyStarted && exchange.request.stream !== null) {
        spent.push(exchange);
      } else if (exchange.subscriber !== null) {
        exchange.written = false;
        exchange.bodyStarted = false;
        resend.push(exchange);
      }
    }
    this.queue.requeue(resend);
    // Caller code runs only from here, once the queue is whole again (a
    // stream's teardown, an error callback): it may destroy() or unsubscribe.
    for (const exchange of spent) exchange.stopBody();
    const why = 'the server closed the connection before processing this request, whose streamed body was read and cannot be sent again';
    for (const exchange of spent) this.fail(exchange, new ConnectionClosed(why, { sent: true }));
  }

  private onEnd(link: Link, exchange: Exchange): void {
    this.queue.answered();
    link.responses++;
    link.answerable--;
    this.release(exchange)?.complete();
    if (this.link !== link || this.dropIfBroken(link)) return;
    if (link.draining && this.queue.inFlight === 0) this.retire(link);
    else this.awaitExpectation(link);
    this.pump();
    this.settleClose();
  }

  /** The socket ended or failed (err null: the server closed between responses). */
  private onDown(link: Link, err: unknown): void {
    if (this.link !== link) return;
    this.link = null;
    let failed: Exchange[];
    if (err instanceof ConnectError) {
      // Nothing was written; the waiting requests fail rather than loop on
      // reconnects. The next socket still owes the probe this one owed.
      this.probeNext ||= link.probing;
      failed = this.queue.takeWaiting();
    } else {
      failed = this.queue.takeInFlight();
      if (failed.length > 0 && !link.draining) this.probeNext = true;
    }
    // Caller code runs only from here (a body's teardown, error callbacks),
    // with the queue and the probe settled.
    link.shutDown();
    failed.forEach((exchange, i) => this.fail(exchange, errorFor(err, i)));
    this.pump();
    this.settleClose();
  }

  // --- Timers --------------------------------------------------------------------------

  /** The idle timer runs while nothing is in flight or waiting; an idle socket lets the process exit. */
  private updateTimers(link: Link): void {
    const wire = link.wire;
    if (wire === null || this.link !== link) return;
    if (this.queue.inFlight > 0) {
      if (!link.idle) return;
      link.idle = false;
      clearTimeout(link.idleTimer);
      link.idleTimer = undefined;
      wire.setIdle(false);
    } else if (this.queue.empty && !link.idle && !link.draining) {
      link.idle = true;
      wire.setIdle(true);
      link.idleTimer = setTimeout(() => {
        if (this.link === link && this.queue.empty) this.retire(link);
      }, link.idleLimit).unref();
    }
  }

  /**
   * One timer per socket, refreshed (not re-created) when a response becomes
   * awaited and by every read: it fires only after `timeout` ms without a
   * byte, and then does nothing if nothing is awaited.
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
    if (this.link !== link || this.queue.inFlight === 0) return;
    // Nothing is owed while a consumer holds the socket paused, nor while the
    // awaited request's own body is held for 100 Continue or still going out.
    if (link.flow.paused || (link.gate !== null && link.gate === this.queue.head)) {
      link.responseTimer?.refresh();
      return;
    }
    this.onDown(link, new ResponseTimeout(`no response byte within timeout (${this.options.timeout} ms)`));
  }

  // --- Endings ---------------------------------------------------------------------------

  /** Drops a socket for good; its requests are the caller's to settle. */
  private retire(link: Link): void {
    if (this.link === link) this.link = null;
    link.shutDown();
  }

  private cancel(exchange: Exchange): void {
    if (this.release(exchange) === null) return;
    const link = this.link;
    if (!exchange.written) {
      // Not on the wire: it simply leaves the queue.
      this.queue.remove(exchange);
    } else if (link !== null) {
      // A written one stays: its response is still read, so the pipeline
      // stays in step. Its pauses go with its consumer, and a body it was
      // still sending is cut short.
      link.flow.liftFor(exchange);
      if (exchange.bodyPending) {
        this.breakBody(link, exchange);
        if (this.dropIfBroken(link)) return;
      }
    }
    this.settleClose();
  }

  /** Detaches the caller and returns it, so state is settled before any caller code runs. */
  private release(exchange: Exchange): Subscriber<ResponseEvent> | null {
    const subscriber = exchange.subscriber;
    if (subscriber !== null) {
      exchange.subscriber = null;
      this.live--;
      // A stream never read may be sent by a later request (a retry).
      if (!exchange.bodyStarted && exchange.request.stream !== null) releaseStream(exchange.request.stream);
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
    this.queue.takeAll();
    const resolve = this.resolveClosed;
    this.resolveClosed = null;
    resolve();
  }
}

/**
 * The error for the request at `position` among those a lost socket fails
 * (err null: the server closed between responses). The awaited one gets the
 * fault it caused (a malformed response, a timeout); the others, written and
 * unanswered, get ConnectionClosed {sent: true}. A failed connect wrote nothing.
 */
function errorFor(err: unknown, position: number): unknown {
  if (err instanceof ConnectError) return err;
  if (position === 0 && err instanceof HttpioError && !(err instanceof ConnectionClosed)) return err;
  const why = err === null
    ? 'the server closed the connection before the response ended'
    : position === 0 && err instanceof ConnectionClosed
      ? err.message
      : `the connection was lost before the response: ${err instanceof Error ? err.message : String(err)}`;
  const cause = err instanceof ConnectionClosed ? (err.cause ?? err) : (err ?? undefined);
  return new ConnectionClosed(why, { sent: true, cause });
}

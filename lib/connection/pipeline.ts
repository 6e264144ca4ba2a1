import type { Subscriber } from 'rxjs';
import { ConnectError, ConnectionClosed, ResponseTimeout } from '../errors';
import type { HeadEvent, ResponseEvent } from '../events';
import type { DataChunk } from '../flow';
import type { ParsedEvent, ParserLimits } from '../http1/parser';
import { connectionAfter, idleLimit } from '../http1/persistence';
import type { ResolvedOptions } from '../options';
import { releaseStream } from './body';
import { BodyWriter } from './bodyWriter';
import type { Exchange } from './exchange';
import { Link } from './link';
import type { Origin } from './origin';
import { RequestQueue } from './queue';
import type { Telemetry } from './telemetry';
import { errorFor, sortUnprocessed, spentError, takeLost } from './resend';

/** What a pipeline tells its owner: an HttpConnection, or a pool that dispatches to several. */
export interface PipelineOwner {
  /** A request finished or left: a close() may be done. */
  settled(): void;
  /** The pipeline wrote, connected or lost its socket: it may take more now. */
  changed?(): void;
  /** A response head arrived this many ms after its request became the awaited one. */
  answered?(ms: number): void;
  /** A socket could not be made; the requests waiting on this pipeline failed with `err`. */
  connectFailed?(err: ConnectError): void;
}

/**
 * The engine behind an {@link HttpConnection}: its requests in wire order,
 * the socket they go out on, and the rules that move them from one to the
 * other. It only routes: bytes come from `transport/`, responses from the
 * `http1/` parser, and the public class keeps the lifecycle.
 */
export class Pipeline {
  private readonly limits: ParserLimits;

  /** Every unfinished request, in wire order: in flight, then waiting. */
  private readonly queue = new RequestQueue();
  /** Requests subscribed and not yet finished: the public `pending`. */
  private live = 0;
  /** The current socket, or null between sockets. */
  private link: Link | null = null;
  /** The next socket starts by probing: the last one closed without warning, or its server does not keep connections. */
  private probeNext = false;
  /** destroy() was called: nothing is connected again. */
  private destroyed = false;
  /** pump() is on the stack: a nested call (from a body that ends at once, say) leaves the work to its loop. */
  private pumping = false;
  /** Puts request bodies on the wire: the gate, 100-continue, streams. */
  private readonly bodies: BodyWriter;

  private readonly onSettled: () => void;

  constructor(
    private readonly origin: Origin,
    private readonly options: ResolvedOptions,
    private readonly owner: PipelineOwner,
    private readonly telemetry: Telemetry,
  ) {
    this.onSettled = () => owner.settled();
    this.limits = { maxHeaderSize: options.maxHeaderSize, maxResponseSize: options.maxResponseSize };
    const pipeline = this;
    this.bodies = new BodyWriter({
      get link() {
        return pipeline.link;
      },
      get head() {
        return pipeline.queue.head;
      },
      expect100Timeout: options.expect100Timeout,
      pump: () => this.pump(),
      fail: (exchange, err) => this.fail(exchange, err),
      drop: (link) => this.onDown(link, null),
      settled: () => this.onSettled(),
    });
  }

  /** Requests subscribed and not yet finished. */
  get pending(): number {
    return this.live;
  }

  /** Requests in flight or waiting here. */
  get load(): number {
    return this.queue.inFlight + this.queue.waitingCount;
  }

  /** A socket is connected (not just being opened). */
  get connected(): boolean {
    return this.link?.wire != null;
  }

  /** The current socket has answered at least once: it is known to respond. */
  get answering(): boolean {
    return this.link !== null && this.link.responses > 0;
  }

  /**
   * Whether a new request given now would not wait behind anything but the
   * pipelining depth: for a pool, which keeps requests that must wait to
   * itself so that any connection can take them.
   */
  accepts(): boolean {
    if (this.destroyed || this.queue.waitingCount > 0) return false;
    const link = this.link;
    // Being opened: it takes what it can pipeline once connected.
    if (link === null || link.wire === null) return this.load < this.options.maxPipelined;
    return !this.busy(link, false);
  }

  /**
   * What holds the response at the head of the line, for a pool choosing
   * where a request goes: `blocked` when it will not end soon by design (an
   * event stream with no timeout, or a response whose caller left and which
   * is still being read), else how long it has been awaited (ms).
   */
  headWait(now: number): number | 'blocked' {
    const head = this.queue.head;
    const link = this.link;
    if (head === undefined || link === null) return 0;
    if (head.subscriber === null || head.request.timeout === 0) return 'blocked';
    return now - link.headSince;
  }

  /** Queues a request behind the others and writes it as soon as busy() allows. */
  enqueue(exchange: Exchange): void {
    this.queue.push(exchange);
    this.live++;
    this.pump();
  }

  /** Fails every unfinished request with ConnectionClosed and drops the socket, for good. */
  destroy(): void {
    this.destroyed = true;
    if (this.link !== null) this.retire(this.link);
    for (const exchange of this.queue.takeAll()) {
      this.fail(exchange, new ConnectionClosed('the connection was destroyed', { sent: exchange.written }));
    }
  }

  /** Drops the socket once nothing is pending (a finished close()). */
  shutDown(): void {
    if (this.link !== null) this.retire(this.link);
    this.queue.takeAll();
  }

  // --- Writing: the queue onto the socket -------------------------------------------

  /** Writes waiting requests while busy() allows; connects first when there is no socket. */
  private pump(): void {
    const link = this.link;
    if (link === null) {
      if (this.queue.waiting !== undefined && !this.destroyed) this.connect();
      return;
    }
    // A nested call (a body that ends at once, say) leaves the work to the loop below.
    if (link.wire === null || this.pumping) return;
    this.pumping = true;
    try {
      for (let next = this.queue.waiting; next !== undefined && this.link === link && !this.busy(link, next.writes > 0); next = this.queue.waiting) {
        this.write(link, this.queue.take());
      }
    } finally {
      this.pumping = false;
    }
    if (this.link === link) {
      link.updateIdle(this.queue.inFlight, this.queue.empty, () => {
        if (this.link === link && this.queue.empty) this.retire(link);
      });
    }
    this.owner.changed?.();
  }

  /**
   * Whether the next waiting request must wait. Every rule that holds a
   * request back is here, and only here.
   */
  private busy(link: Link, resent: boolean): boolean {
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
    return resent;
  }

  private write(link: Link, exchange: Exchange): void {
    exchange.written = true;
    exchange.writes++;
    link.wire!.write(exchange.request.head);
    this.telemetry.written(exchange);
    // The timeout counts from the moment something is awaited, not from every write behind it.
    if (this.queue.inFlight === 1) this.awaitHead(link);
    if (exchange.request.closes) link.draining = true;
    this.bodies.start(link, exchange);
  }

  private connect(): void {
    const link: Link = new Link(this.probeNext, this.options.keepAliveTimeout, () => this.onNoProgress(link));
    this.probeNext = false;
    // Set before the socket is opened: a failure may be reported at once.
    this.link = link;
    link.start(this.origin.endpoint, this.options.connectTimeout, this.limits, {
      connected: () => {
        if (this.link !== link) return;
        this.telemetry.connected(link.wire!.peer, this.origin.endpoint.proxy?.label ?? null);
        this.pump();
      },
      read: () => this.onRead(link),
      event: (event) => this.onEvent(link, event),
      down: (err) => this.onDown(link, err),
      headRequest: () => this.queue.head?.request.isHead === true,
    });
  }

  // --- Reading: responses to their requests ------------------------------------------

  private onRead(link: Link): void {
    if (this.link !== link) return;
    link.answerable = this.queue.inFlight;
    link.progress.touch();
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
        if (event.status === 100 && exchange.awaiting100) this.bodies.send(link, exchange);
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
    if (exchange.bodyPending) this.bodies.cut(link, exchange);
    const ms = Date.now() - link.headSince;
    this.owner.answered?.(ms);
    this.telemetry.head(exchange, head, ms);
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

  /** RFC 9112 §9.6: the requests written behind an announced close go back to waiting (see resend.ts). */
  private unwriteBehind(link: Link): void {
    link.answerable = Math.min(link.answerable, 1);
    const { resend, spent } = sortUnprocessed(this.queue.takeBehindHead(), link);
    this.queue.requeue(resend);
    this.telemetry.resent(resend);
    // Caller code runs only from here, once the queue is whole again (a
    // stream's teardown, an error callback): it may destroy() or unsubscribe.
    for (const exchange of spent) exchange.stopBody();
    for (const exchange of spent) this.fail(exchange, spentError());
  }

  private onEnd(link: Link, exchange: Exchange): void {
    this.queue.answered();
    link.responses++;
    link.answerable--;
    this.telemetry.ended(exchange);
    this.release(exchange)?.complete();
    if (this.link !== link || this.bodies.dropIfBroken(link)) return;
    this.awaitHead(link);
    if (link.draining && this.queue.inFlight === 0) this.retire(link);
    else this.bodies.awaitExpectation(link);
    this.pump();
    this.onSettled();
  }

  /** The socket ended or failed (err null: the server closed between responses). */
  private onDown(link: Link, err: unknown): void {
    if (this.link !== link) return;
    this.link = null;
    const lost = takeLost(this.queue, link, err);
    const failed = lost.failed;
    this.probeNext ||= lost.probe;
    // Caller code runs only from here (a body's teardown, error callbacks),
    // with the queue and the probe settled.
    link.shutDown();
    if (link.wire !== null) this.telemetry.disconnected(link.draining, err);
    failed.forEach((exchange, i) => this.fail(exchange, errorFor(err, i)));
    if (err instanceof ConnectError) this.owner.connectFailed?.(err);
    this.pump();
    this.onSettled();
  }

  // --- Timers --------------------------------------------------------------------------

  /**
   * The response at the head of the queue is now the awaited one: its own
   * `timeout` (RequestInit) or the connection's counts from now.
   */
  private awaitHead(link: Link): void {
    const head = this.queue.head;
    if (head === undefined) return link.progress.stop();
    link.progress.start(head.request.timeout ?? this.options.timeout);
    link.headSince = Date.now();
  }

  /**
   * No progress either way for the awaited request's timeout: no byte of its
   * response read and no byte of a body accepted by the socket (a server
   * that stopped reading an upload). The socket is dropped, unless nothing
   * is owed after all (returns false).
   */
  private onNoProgress(link: Link): boolean {
    const head = this.queue.head;
    if (this.link !== link || head === undefined) return true;
    // Nothing is owed while a consumer holds the socket paused, nor while the
    // body is held for 100 Continue (expect100Timeout bounds that wait).
    if (link.flow.paused || head.awaiting100) return false;
    const { method, path } = head.request;
    const ms = link.progress.current;
    const why = link.gate === head ? 'no byte of its body accepted by the socket' : 'no byte of its response';
    this.telemetry.timedOut(head, ms);
    this.onDown(link, new ResponseTimeout(`${method} ${path}: ${why} within timeout (${ms} ms)`));
    return true;
  }

  // --- Endings ---------------------------------------------------------------------------

  /** Drops a socket for good; its requests are the caller's to settle. */
  private retire(link: Link): void {
    if (this.link === link) this.link = null;
    if (link.wire !== null && link.subscription?.closed === false) this.telemetry.disconnected(true, null);
    link.shutDown();
  }

  /** The caller unsubscribed. */
  cancel(exchange: Exchange): void {
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
        this.bodies.breakOff(link, exchange);
        if (this.bodies.dropIfBroken(link)) return;
      }
    }
    this.onSettled();
  }

  /** Detaches the caller and returns it, so state is settled before any caller code runs. */
  private release(exchange: Exchange): Subscriber<ResponseEvent> | null {
    const subscriber = exchange.subscriber;
    if (subscriber !== null) {
      exchange.subscriber = null;
      this.live--;
      // A stream never read may be sent by a later request (a retry).
      if (!exchange.bodyStarted && exchange.request.stream !== null) releaseStream(exchange.request.stream);
      // One read past its complete contentLength, to catch an overrun, is let go.
      exchange.stopSource();
    }
    return subscriber;
  }

  private fail(exchange: Exchange, err: unknown): void {
    const subscriber = this.release(exchange);
    if (subscriber === null) return;
    this.telemetry.failed(exchange, err);
    subscriber.error(err);
  }
}

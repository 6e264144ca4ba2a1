import type { Subscriber } from 'rxjs';
import { ConnectionClosed, type ConnectError } from '../errors';
import type { HeadEvent, ResponseEvent } from '../events';
import type { DataChunk } from '../flow';
import type { ParsedEvent, ParserLimits } from '../http1/parser';
import { connectionAfter, idleLimit } from '../http1/persistence';
import type { ResolvedOptions } from '../options';
import { releaseStream } from './body';
import { BodyWriter } from './bodyWriter';
import type { Exchange } from './exchange';
import type { Link } from './link';
import type { Origin } from './origin';
import { RequestQueue } from './queue';
import type { Telemetry } from './telemetry';
import { judgeAbandoned } from './abandon';
import { forRequest } from './naming';
import { sortUnprocessed, spentError } from './resend';

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
 * The state of a pipeline and its read side: each parsed response goes to
 * the request at the head of the line, and how a request leaves the line
 * (answered, failed, abandoned). {@link Pipeline} adds the write side and
 * the socket's life.
 */
export abstract class ResponseReader {
  protected readonly limits: ParserLimits;

  /** Every unfinished request, in wire order: in flight, then waiting. */
  protected readonly queue = new RequestQueue();
  /** Requests subscribed and not yet finished: the public `pending`. */
  protected live = 0;
  /** The current socket, or null between sockets. */
  protected link: Link | null = null;
  /** The next socket starts by probing: the last one closed without warning, or its server does not keep connections. */
  protected probeNext = false;
  /** destroy() was called: nothing is connected again. */
  protected destroyed = false;
  /** pump() is on the stack: a nested call (from a body that ends at once, say) leaves the work to its loop. */
  protected pumping = false;
  /** Puts request bodies on the wire: the gate, 100-continue, streams. */
  protected readonly bodies: BodyWriter;

  protected readonly onSettled: () => void;

  constructor(
    protected readonly origin: Origin,
    protected readonly options: ResolvedOptions,
    protected readonly owner: PipelineOwner,
    protected readonly telemetry: Telemetry,
  ) {
    this.onSettled = () => owner.settled();
    this.limits = { maxHeaderSize: options.maxHeaderSize, maxResponseSize: options.maxResponseSize };
    this.bodies = new BodyWriter({
      link: () => this.link,
      head: () => this.queue.head,
      expect100Timeout: options.expect100Timeout,
      pump: () => this.pump(),
      fail: (exchange, err) => this.fail(exchange, err),
      drop: (link) => this.onDown(link, null),
      settled: () => this.onSettled(),
    });
  }

  /** Writes waiting requests while busy() allows. */
  protected abstract pump(): void;

  /** The socket ended or failed (err null: the server closed between responses). */
  protected abstract onDown(link: Link, err: unknown): void;

  // --- Reading: responses to their requests ------------------------------------------

  protected onRead(link: Link): void {
    if (this.link !== link) return;
    link.answerable = this.queue.inFlight;
    link.progress.touch();
  }

  protected onEvent(link: Link, event: ParsedEvent): void {
    if (this.link !== link) return;
    const exchange = this.queue.head;
    if (link.answerable === 0 || exchange === undefined) {
      // Bytes nobody asked for: typically a 408 before an idle close. They
      // cannot answer a request written since they arrived, so the socket is
      // not used again; such a request may be on the wire, so it is lost.
      this.onDown(link, new ConnectionClosed('the server sent a response nobody asked for', { sent: true }));
      return;
    }
    if (event.type !== 'end') exchange.responded = true;
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

  protected onHead(link: Link, exchange: Exchange, head: HeadEvent): void {
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
      // The latest hint rules: a response without one restores the option's.
      link.idleLimit = idleMs !== null ? idleLimit(idleMs) : this.options.keepAliveTimeout;
    }
    exchange.subscriber?.next(head);
    if (this.link !== link) return;
    if (exchange.subscriber === null) this.judgeAbandoned(link);
    this.pump();
  }

  /** RFC 9112 §9.6: the requests written behind an announced close go back to waiting (see resend.ts). */
  protected unwriteBehind(link: Link): void {
    link.answerable = Math.min(link.answerable, 1);
    const { resend, spent } = sortUnprocessed(this.queue.takeBehindHead(), link);
    this.queue.requeue(resend);
    this.telemetry.resent(resend);
    // Caller code runs only from here, once the queue is whole again (a
    // stream's teardown, an error callback): it may destroy() or unsubscribe.
    for (const exchange of spent) exchange.stopBody();
    for (const exchange of spent) this.fail(exchange, spentError());
  }

  protected onEnd(link: Link, exchange: Exchange): void {
    this.queue.answered();
    link.responses++;
    link.answerable--;
    this.telemetry.ended(exchange);
    this.release(exchange)?.complete();
    if (this.link !== link || this.bodies.dropIfBroken(link)) return;
    this.awaitHead(link);
    link.endAbandoned();
    this.judgeAbandoned(link);
    if (this.link !== link) return;
    if (link.draining && this.queue.inFlight === 0) this.retire(link);
    else this.bodies.awaitExpectation(link);
    this.pump();
    this.onSettled();
  }

  /**
   * The response at the head of the queue is now the awaited one: its own
   * `timeout` (RequestInit) or the connection's counts from now.
   */
  protected awaitHead(link: Link): void {
    const head = this.queue.head;
    if (head === undefined) return link.progress.stop();
    // One clock read per response serves both.
    const now = Date.now();
    link.progress.start(head.request.timeout ?? this.options.timeout, now);
    link.headSince = now;
  }

  /** Drops a socket for good; its requests are the caller's to settle. */
  protected retire(link: Link): void {
    if (this.link === link) this.link = null;
    if (link.wire !== null && link.subscription?.closed === false) this.telemetry.disconnected(true, null);
    link.shutDown();
  }

  /** A response whose caller left must not hold the connection (see abandon.ts). */
  protected judgeAbandoned(link: Link): void {
    if (this.link === link) judgeAbandoned(link, this.queue, (err) => this.onDown(link, err));
  }

  /** Detaches the caller and returns it, so state is settled before any caller code runs. */
  protected release(exchange: Exchange): Subscriber<ResponseEvent> | null {
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

  protected fail(exchange: Exchange, err: unknown): void {
    const subscriber = this.release(exchange);
    if (subscriber === null) return;
    const named = forRequest(err, exchange.request);
    this.telemetry.failed(exchange, named);
    subscriber.error(named);
  }
}

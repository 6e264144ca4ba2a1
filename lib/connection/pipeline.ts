import { ConnectError, ConnectionClosed, HttpioError, ResponseTimeout } from '../errors';
import type { Exchange } from './exchange';
import { Link } from './link';
import { forRequest } from './naming';
import { errorFor, takeLost, takeResendable } from './resend';
import { ResponseReader } from './responses';

export type { PipelineOwner } from './responses';

/** How long close() waits for the server's FIN after its own before it destroys the socket. */
const CLOSE_GRACE_MS = 500;

/**
 * The engine behind an {@link HttpConnection}: its requests in wire order,
 * the socket they go out on, and the rules that move them from one to the
 * other. It only routes: bytes come from `transport/`, responses from the
 * `http1/` parser, and the public class keeps the lifecycle.
 */
export class Pipeline extends ResponseReader {
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

  /** Ends the socket cleanly once nothing is pending (a finished close()); resolves when it is closed. */
  shutDown(): Promise<void> {
    this.queue.takeAll();
    const link = this.link;
    if (link === null) return Promise.resolve();
    this.link = null;
    if (link.wire !== null && link.subscription?.closed === false) this.telemetry.disconnected(true, null);
    return link.close(CLOSE_GRACE_MS);
  }

  // --- Writing: the queue onto the socket -------------------------------------------

  /** Writes waiting requests while busy() allows; connects first when there is no socket. */
  protected pump(): void {
    const link = this.link;
    if (link === null) {
      if (this.queue.waiting !== undefined && !this.destroyed) this.connect();
      return;
    }
    // A nested call (a body that ends at once, say) leaves the work to the loop below.
    if (link.wire === null || this.pumping) return;
    this.pumping = true;
    try {
      for (
        let next = this.queue.waiting;
        next !== undefined && this.link === link && !this.busy(link, next.writes > 0);
        next = this.queue.waiting
      ) {
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
    // The socket failed; the failure is reported once the held bytes are parsed.
    if (link.lost) return true;
    // A response its caller left, of unknown length, holds requests behind it: no more.
    if (link.abandoning) return true;
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

  /** The socket ended or failed (err null: the server closed between responses). */
  protected onDown(link: Link, err: unknown): void {
    if (this.link !== link) return;
    this.link = null;
    const lost = takeLost(this.queue, link, err);
    const failed = lost.failed;
    this.probeNext ||= lost.probe;
    const resend = takeResendable(failed, err, this.options.resendIdempotent);
    this.queue.requeue(resend);
    this.telemetry.resent(resend);
    // Caller code runs only from here (a body's teardown, error callbacks),
    // with the queue and the probe settled.
    link.shutDown();
    if (link.wire !== null) this.telemetry.disconnected(link.draining, err);
    // The fault of the awaited response, named for it, is the cause of the
    // failures behind it, so that each of them tells what happened ahead.
    let basis = err;
    failed.forEach((exchange, i) => {
      const named = forRequest(errorFor(basis, i), exchange.request);
      if (i === 0 && basis instanceof HttpioError && !(basis instanceof ConnectError) && !(basis instanceof ConnectionClosed))
        basis = named;
      this.fail(exchange, named);
    });
    if (err instanceof ConnectError) this.owner.connectFailed?.(err);
    this.pump();
    this.onSettled();
  }

  // --- Timers --------------------------------------------------------------------------

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
      this.judgeAbandoned(link);
    }
    this.onSettled();
  }
}

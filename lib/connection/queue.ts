import type { Exchange } from './exchange';

/**
 * A connection's unfinished requests, in subscription order, which is wire
 * order: those in flight (written, unanswered), then those waiting. Two
 * arrays, each read from a moving front index:
 *
 *   flight: [ answered … | head, in flight … ]     responses answer `head`
 *           0            ^flightFirst
 *   wait:   [ taken or cancelled … | next, waiting … ]   take() moves `next` into flight
 *           0                      ^waitFirst
 *
 * Every step is O(1): an answered or taken front is passed over, not shifted
 * off, and dropped in bulk; a waiting request whose caller leaves is only
 * marked, and passed over when the front reaches it. Cancelling 100,000
 * queued requests costs 100,000 marks, not 100,000 splices.
 */
export class RequestQueue {
  private flight: Exchange[] = [];
  private flightFirst = 0;
  private wait: Exchange[] = [];
  private waitFirst = 0;
  /** Waiting requests not cancelled. */
  private waitLive = 0;

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.flight.length - this.flightFirst;
  }

  /** Requests waiting to be written. */
  get waitingCount(): number {
    return this.waitLive;
  }

  /** The request the next response answers; undefined when none is in flight. */
  get head(): Exchange | undefined {
    return this.flightFirst < this.flight.length ? this.flight[this.flightFirst] : undefined;
  }

  /** The next request to write; undefined when none is waiting. */
  get waiting(): Exchange | undefined {
    const wait = this.wait;
    while (this.waitFirst < wait.length && wait[this.waitFirst].cancelled) this.waitFirst++;
    if (this.waitFirst === wait.length && wait.length > 0) this.resetWait();
    return wait[this.waitFirst];
  }

  /** Nothing in flight and nothing waiting. */
  get empty(): boolean {
    return this.inFlight === 0 && this.waitLive === 0;
  }

  push(exchange: Exchange): void {
    this.wait.push(exchange);
    this.waitLive++;
  }

  /** Moves the next waiting request into flight and returns it; call after `waiting` showed one. */
  take(): Exchange {
    const exchange = this.wait[this.waitFirst++];
    this.waitLive--;
    this.flight.push(exchange);
    if (this.waitFirst > 1024 && this.waitFirst * 2 > this.wait.length) {
      this.wait = this.wait.slice(this.waitFirst);
      this.waitFirst = 0;
    }
    return exchange;
  }

  /** The head's response has ended. */
  answered(): void {
    this.flightFirst++;
    if (this.flightFirst === this.flight.length) {
      this.flight = [];
      this.flightFirst = 0;
    } else if (this.flightFirst > 1024 && this.flightFirst * 2 > this.flight.length) {
      this.flight = this.flight.slice(this.flightFirst);
      this.flightFirst = 0;
    }
  }

  /** Takes every request in flight out of the queue. */
  takeInFlight(): Exchange[] {
    const taken = this.flight.slice(this.flightFirst);
    this.flight = [];
    this.flightFirst = 0;
    return taken;
  }

  /** Takes the requests in flight behind the head out of the queue. */
  takeBehindHead(): Exchange[] {
    if (this.inFlight <= 1) return [];
    const taken = this.flight.slice(this.flightFirst + 1);
    this.flight = [this.flight[this.flightFirst]];
    this.flightFirst = 0;
    return taken;
  }

  /** Puts requests back in front of the waiting ones, to be written again. */
  requeue(exchanges: Exchange[]): void {
    if (exchanges.length === 0) return;
    this.wait = exchanges.concat(this.liveWaiting());
    this.waitFirst = 0;
    this.waitLive = this.wait.length;
  }

  /** Takes every waiting request out of the queue. */
  takeWaiting(): Exchange[] {
    const taken = this.liveWaiting();
    this.resetWait();
    return taken;
  }

  /**
   * Takes out the waiting requests that `movable` accepts, keeping the
   * others in order: for a pool moving unwritten requests to another connection.
   */
  takeWaitingIf(movable: (exchange: Exchange) => boolean): Exchange[] {
    const taken: Exchange[] = [];
    const kept: Exchange[] = [];
    for (const exchange of this.liveWaiting()) (movable(exchange) ? taken : kept).push(exchange);
    this.wait = kept;
    this.waitFirst = 0;
    this.waitLive = kept.length;
    return taken;
  }

  /** Takes everything unfinished out of the queue. */
  takeAll(): Exchange[] {
    const taken = this.takeInFlight().concat(this.liveWaiting());
    this.resetWait();
    return taken;
  }

  /** Removes a waiting request (its caller left before it was written): marked, and passed over later. */
  remove(exchange: Exchange): void {
    if (exchange.cancelled) return;
    exchange.cancelled = true;
    this.waitLive--;
    if (this.waitLive === 0) this.resetWait();
  }

  private liveWaiting(): Exchange[] {
    const live: Exchange[] = [];
    for (let i = this.waitFirst; i < this.wait.length; i++) if (!this.wait[i].cancelled) live.push(this.wait[i]);
    return live;
  }

  private resetWait(): void {
    this.wait = [];
    this.waitFirst = 0;
    this.waitLive = 0;
  }
}

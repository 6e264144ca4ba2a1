import type { Exchange } from './exchange';

/**
 * A connection's unfinished requests, in subscription order, which is wire
 * order. One array and two indices:
 *
 *   [ answered … | in flight: written, unanswered … | waiting: not yet written … ]
 *   0            ^first                              ^next                        ^items.length
 *
 * Responses answer `head`; `take()` moves the next waiting request into
 * flight. The answered part is dropped in bulk, not shifted off one by one.
 */
export class RequestQueue {
  private items: Exchange[] = [];
  private first = 0;
  private next = 0;

  /** Requests written and not yet answered. */
  get inFlight(): number {
    return this.next - this.first;
  }

  /** The request the next response answers; undefined when none is in flight. */
  get head(): Exchange | undefined {
    return this.first < this.next ? this.items[this.first] : undefined;
  }

  /** The next request to write; undefined when none is waiting. */
  get waiting(): Exchange | undefined {
    return this.items[this.next];
  }

  /** Nothing in flight and nothing waiting. */
  get empty(): boolean {
    return this.first === this.items.length;
  }

  push(exchange: Exchange): void {
    this.items.push(exchange);
  }

  /** Moves the next waiting request into flight and returns it. */
  take(): Exchange {
    return this.items[this.next++];
  }

  /** The head's response has ended. */
  answered(): void {
    this.first++;
    if (this.first === this.items.length) {
      this.items = [];
      this.first = this.next = 0;
    } else if (this.first > 1024 && this.first * 2 > this.items.length) {
      this.items.splice(0, this.first);
      this.next -= this.first;
      this.first = 0;
    }
  }

  /** Takes every request in flight out of the queue. */
  takeInFlight(): Exchange[] {
    const taken = this.items.splice(this.first, this.next - this.first);
    this.next = this.first;
    return taken;
  }

  /** Takes the requests in flight behind the head out of the queue. */
  takeBehindHead(): Exchange[] {
    const taken = this.items.splice(this.first + 1, this.next - this.first - 1);
    this.next = this.first + Math.min(1, this.next - this.first);
    return taken;
  }

  /** Puts requests back in front of the waiting ones, to be written again. */
  requeue(exchanges: Exchange[]): void {
    if (exchanges.length === 0) return;
    // Not splice(...exchanges): spreading a long list overflows the call stack.
    this.items = this.items.slice(0, this.next).concat(exchanges, this.items.slice(this.next));
  }

  /** Takes every waiting request out of the queue. */
  takeWaiting(): Exchange[] {
    return this.items.splice(this.next);
  }

  /** Takes everything unfinished out of the queue. */
  takeAll(): Exchange[] {
    const taken = this.items.slice(this.first);
    this.items = [];
    this.first = this.next = 0;
    return taken;
  }

  /** Removes a waiting request (its caller left before it was written). */
  remove(exchange: Exchange): void {
    const index = this.items.indexOf(exchange, this.next);
    if (index !== -1) this.items.splice(index, 1);
  }
}

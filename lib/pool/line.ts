import type { Exchange } from '../connection/exchange';

/**
 * A pool's requests that no connection has taken yet, oldest first. An
 * array read from a moving front; a request whose caller leaves is marked
 * and passed over, so both taking and cancelling are O(1).
 */
export class WaitingLine {
  private items: Exchange[] = [];
  private first = 0;
  /** Requests in line not cancelled. */
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(exchange: Exchange): void {
    this.items.push(exchange);
    this.live++;
  }

  /** The oldest request in line, or undefined. */
  peek(): Exchange | undefined {
    while (this.first < this.items.length && this.items[this.first].cancelled) this.first++;
    if (this.first === this.items.length && this.items.length > 0) this.reset();
    return this.items[this.first];
  }

  /** Takes the request peek() returned. */
  take(): Exchange {
    const exchange = this.items[this.first++];
    this.live--;
    if (this.first > 1024 && this.first * 2 > this.items.length) {
      this.items = this.items.slice(this.first);
      this.first = 0;
    }
    return exchange;
  }

  /** Marks a request in line as gone; it is passed over later. */
  remove(exchange: Exchange): void {
    if (exchange.cancelled) return;
    exchange.cancelled = true;
    if (--this.live === 0) this.reset();
  }

  /** Empties the line and returns what was live in it. */
  takeAll(): Exchange[] {
    const live = this.items.slice(this.first).filter((exchange) => !exchange.cancelled);
    this.reset();
    return live;
  }

  private reset(): void {
    this.items = [];
    this.first = 0;
    this.live = 0;
  }
}

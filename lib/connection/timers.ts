import type { Wire } from '../transport/socket';

/**
 * The no-progress timer of one socket: it expires `limit` ms after the last
 * progress. Progress is a touch() (a read) or a change in what `sample()`
 * returns (the bytes the kernel has taken from the socket: the server is
 * reading a body). Reads happen thousands of times a second, so a touch only
 * stamps the time; the one Node.js timer behind it wakes every quarter of
 * the limit at most, samples, and sleeps on.
 *
 * @example
 * const timer = new ProgressTimer(() => wire.accepted, () => fail(new ResponseTimeout('...')));
 * timer.start(60_000);  // a response is awaited
 * socket.on('data', () => timer.touch());
 */
export class ProgressTimer {
  /** The Node.js timer, or undefined when none is scheduled. */
  private timer: NodeJS.Timeout | undefined = undefined;
  /** When the scheduled timer wakes (ms since the epoch). */
  private due = 0;
  /** When progress was last seen. */
  private last = 0;
  /** Milliseconds without progress allowed; 0 while nothing is awaited or there is no limit. */
  private limit = 0;
  /** What sample() returned when last looked at. */
  private mark = 0;

  /**
   * @param sample a counter that grows with progress the timer cannot see
   *   happen (bytes accepted by the socket).
   * @param onExpire called when `limit` ms passed without progress; it
   *   returns false when nothing is owed after all (the wait goes on from now).
   */
  constructor(
    private readonly sample: () => number,
    private readonly onExpire: () => boolean,
  ) {}

  /** The current limit: 0 when none runs. */
  get current(): number {
    return this.limit;
  }

  /** Counts `limit` ms from now (0: no limit), replacing the previous limit. */
  start(limit: number, now = Date.now()): void {
    this.limit = limit;
    this.last = now;
    this.mark = this.sample();
    if (limit === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    const due = this.last + limit;
    // A pending timer that wakes no later than the new deadline re-checks then.
    if (this.timer !== undefined && this.due <= due) return;
    clearTimeout(this.timer);
    this.schedule(this.step(limit));
  }

  /** Progress: the limit counts again from now. */
  touch(): void {
    this.last = Date.now();
  }

  /** Nothing is awaited any more. Idempotent. */
  stop(): void {
    this.limit = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.due = Date.now() + ms;
    this.timer = setTimeout(this.wake, ms).unref();
  }

  /** How long to sleep with `left` ms to go: a quarter of the limit at most, to sample on the way. */
  private step(left: number): number {
    return Math.max(1, Math.min(left, Math.ceil(this.limit / 4)));
  }

  private readonly wake = (): void => {
    this.timer = undefined;
    if (this.limit === 0) return;
    const now = Date.now();
    const mark = this.sample();
    if (mark !== this.mark) {
      this.mark = mark;
      this.last = now;
    }
    const left = this.last + this.limit - now;
    if (left > 0) return this.schedule(this.step(left));
    if (!this.onExpire() && this.limit > 0) {
      this.last = Date.now();
      this.schedule(this.step(this.limit));
    }
  };
}

/**
 * Whether a socket is idle (nothing in flight or waiting), and the timer
 * that drops it after `limit` ms of idleness. An idle socket is unref'd so
 * that it does not keep the process alive; a busy one is ref'd.
 */
export class IdleTimer {
  private timer: NodeJS.Timeout | undefined = undefined;
  /** Tracked so that the socket is switched only on a change. */
  private idle = false;

  /** The socket became idle: drop it after `limit` ms unless it is used again. */
  enter(wire: Wire, limit: number, onExpire: () => void): void {
    if (this.idle) return;
    this.idle = true;
    wire.setIdle(true);
    this.timer = setTimeout(onExpire, limit).unref();
  }

  /** The socket has work again. */
  leave(wire: Wire): void {
    if (!this.idle) return;
    this.idle = false;
    this.stop();
    wire.setIdle(false);
  }

  /** Idempotent. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

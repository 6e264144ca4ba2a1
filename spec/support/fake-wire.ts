import type { Wire } from '../../lib/transport/socket';

/**
 * A Wire that records what is written and reports "full" once `capacity`
 * bytes are buffered, until drain() is called: enough to check framing and
 * backpressure without a socket.
 */
export class FakeWire implements Wire {
  readonly writes: Buffer[] = [];
  buffered = 0;
  /** Bytes "taken by the kernel": everything written, less what is buffered. */
  get accepted(): number {
    return this.writes.reduce((sum, piece) => sum + piece.length, 0) - this.buffered;
  }
  private drainers: Array<() => void> = [];

  constructor(private readonly capacity = Infinity) {}

  write(bytes: Uint8Array): boolean {
    this.writes.push(Buffer.from(bytes));
    this.buffered += bytes.length;
    return this.buffered < this.capacity;
  }

  whenDrained(callback: () => void): void {
    this.drainers.push(callback);
  }

  /** Empties the buffer, as the kernel taking the bytes would, and calls the drain listeners. */
  drain(): void {
    this.buffered = 0;
    const drainers = this.drainers;
    this.drainers = [];
    drainers.forEach((callback) => callback());
  }

  get waitingForDrain(): boolean {
    return this.drainers.length > 0;
  }

  get text(): string {
    return Buffer.concat(this.writes).toString('latin1');
  }

  readonly peer = { address: null, tls: null };

  end(): Promise<void> {
    return Promise.resolve();
  }

  pause(): void {}
  resume(): void {}
  setIdle(): void {}
}

import type { DataEvent } from './events';

/**
 * Whether a connection's read side is paused, and who to tell when that
 * changes. Consumers pause it through {@link DataEvent.pause}; pauses nest,
 * and reading resumes when the last one is lifted.
 */
export class ReadControl {
  /** Pauses not yet lifted, each with the consumer that took it. */
  private readonly holds = new Set<{ readonly owner: unknown }>();
  private readonly listeners: Array<() => void> = [];

  get paused(): boolean {
    return this.holds.size > 0;
  }

  /**
   * Stops reading until the returned function is called (once; later calls
   * do nothing). `owner` is the consumer taking it, for liftFor().
   */
  pause(owner: unknown = null): () => void {
    const hold = { owner };
    this.holds.add(hold);
    if (this.holds.size === 1) this.notify();
    return () => {
      if (this.holds.delete(hold) && this.holds.size === 0) this.notify();
    };
  }

  /** Lifts the pauses `owner` took: for a consumer that went away without lifting its own. */
  liftFor(owner: unknown): void {
    let lifted = false;
    for (const hold of this.holds) {
      if (hold.owner === owner) lifted = this.holds.delete(hold);
    }
    if (lifted && this.holds.size === 0) this.notify();
  }

  /** Called on every change; a listener reads `paused` itself, as it may change again meanwhile. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/** A body piece that can hold the connection back while its consumer catches up. */
export class DataChunk implements DataEvent {
  readonly type = 'data' as const;
  /** The consumer it is delivered to, set on delivery: whose pause it is. */
  owner: unknown = null;

  constructor(
    readonly data: Uint8Array,
    private readonly control: ReadControl,
  ) {}

  pause(): () => void {
    return this.control.pause(this.owner);
  }
}

import type { DataEvent } from './events';

/**
 * Whether a connection's read side is paused, and who to tell when that
 * changes. Consumers pause it through {@link DataEvent.pause}; pauses nest,
 * and reading resumes when the last one is lifted.
 */
export class ReadControl {
  /** Pauses not yet lifted. */
  private pauses = 0;
  /** Bumped by liftAll(), which voids every lift function handed out before. */
  private generation = 0;
  private readonly listeners: Array<() => void> = [];

  get paused(): boolean {
    return this.pauses > 0;
  }

  /** Stops reading until the returned function is called (once; later calls do nothing). */
  pause(): () => void {
    this.pauses++;
    if (this.pauses === 1) this.notify();
    const generation = this.generation;
    let lifted = false;
    return () => {
      if (lifted || generation !== this.generation) return;
      lifted = true;
      this.pauses--;
      if (this.pauses === 0) this.notify();
    };
  }

  /** Lifts every pause: for a consumer that went away without lifting its own. */
  liftAll(): void {
    if (this.pauses === 0) return;
    this.pauses = 0;
    this.generation++;
    this.notify();
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

  constructor(readonly data: Uint8Array, private readonly control: ReadControl) {}

  pause(): () => void {
    return this.control.pause();
  }
}

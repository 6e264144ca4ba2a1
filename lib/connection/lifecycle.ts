/**
 * The open → closing → destroyed life of a connection or a pool, and the
 * close() promise: resolved once nothing is pending and the sockets are
 * shut down. One copy for HttpConnection and HttpPool.
 */
export class Lifecycle {
  #state: 'open' | 'closing' | 'destroyed' = 'open';
  #closed: Promise<void> | null = null;
  #resolve: (() => void) | null = null;

  /** Why new requests are refused, or null while open. */
  get refusal(): 'closed' | 'destroyed' | null {
    return this.#state === 'open' ? null : this.#state === 'closing' ? 'closed' : 'destroyed';
  }

  get destroyed(): boolean {
    return this.#state === 'destroyed';
  }

  /** Starts a graceful close (once; later calls return the same promise); `settle` is tried at once. */
  close(settle: () => void): Promise<void> {
    if (this.#closed === null) {
      this.#closed = new Promise<void>((resolve) => (this.#resolve = resolve));
      if (this.#state === 'open') this.#state = 'closing';
      settle();
    }
    return this.#closed;
  }

  /** Marks the end for good; false when it was destroyed already. */
  destroy(): boolean {
    if (this.#state === 'destroyed') return false;
    this.#state = 'destroyed';
    return true;
  }

  /** Resolves a pending close() once nothing is `pending`, after `shutDown` has ended the sockets. */
  settle(pending: number, shutDown: () => Promise<unknown>): void {
    if (this.#state === 'open' || pending > 0 || this.#resolve === null) return;
    const resolve = this.#resolve;
    this.#resolve = null;
    void shutDown().then(() => resolve());
  }
}

/** The smallest buffer BodyCollector allocates once a second piece comes. */
const MIN_CAPACITY = 256;

/**
 * Body pieces gathered into one buffer that doubles when full, so that n
 * pieces cost O(total size) time and about the total size in memory.
 * The first piece is kept as it is until a second one arrives: a body in one
 * piece is never copied. Internal: readAll() and ensureOk() share it.
 *
 * @example
 * const body = new BodyCollector();
 * body.add(a); body.add(b);
 * const bytes = body.take(); // a then b
 */
export class BodyCollector {
  /** The only piece so far, not copied; null once `buffer` holds the bytes, or before any. */
  private first: Uint8Array | null = null;
  /** The bytes so far from the second piece on; its first `size` bytes are used. */
  private buffer: Uint8Array | null = null;
  private size = 0;

  /** Bytes gathered so far. */
  get length(): number {
    return this.size;
  }

  add(piece: Uint8Array): void {
    if (piece.length === 0) return;
    if (this.buffer === null && this.first === null) {
      this.first = piece;
      this.size = piece.length;
      return;
    }
    const needed = this.size + piece.length;
    if (this.buffer === null || needed > this.buffer.length) this.grow(needed);
    this.buffer!.set(piece, this.size);
    this.size = needed;
  }

  /** The bytes gathered. Leaves at most a quarter unused; past that, they are copied to fit. */
  take(): Uint8Array {
    if (this.buffer === null) return this.first ?? Buffer.alloc(0);
    const used = this.buffer.subarray(0, this.size);
    return this.buffer.length - this.size > this.size >> 2 ? Buffer.from(used) : used;
  }

  private grow(needed: number): void {
    const capacity = Math.max(needed, MIN_CAPACITY, this.buffer === null ? 0 : this.buffer.length * 2);
    const next = Buffer.allocUnsafe(capacity);
    if (this.buffer !== null) next.set(this.buffer.subarray(0, this.size));
    else if (this.first !== null) next.set(this.first);
    this.first = null;
    this.buffer = next;
  }
}

/**
 * Response header fields, case-insensitive and in wire order.
 *
 * Fields are kept as one flat array of alternating names and values, as they
 * came off the wire; lookups scan it. A response has a few dozen fields at
 * most, so a scan beats building a map for every response.
 *
 * @example
 * const type = response.headers.get('content-type');
 * for (const [name, value] of response.headers) console.log(name, value);
 */
export class HttpHeaders implements Iterable<[string, string]> {
  /** `[name0, value0, name1, value1, ...]` as received; names keep their case. */
  readonly #raw: string[];

  constructor(raw: string[] = []) {
    this.#raw = raw;
  }

  /** All values of `name` joined with `, ` (RFC 9110 §5.3), or `null`. */
  get(name: string): string | null {
    const all = this.getAll(name);
    return all.length === 0 ? null : all.join(', ');
  }

  /** Every value of `name`, each field line on its own, in wire order. */
  getAll(name: string): string[] {
    const wanted = name.toLowerCase();
    const raw = this.#raw;
    const out: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i].length === wanted.length && raw[i].toLowerCase() === wanted) out.push(raw[i + 1]);
    }
    return out;
  }

  /** Whether a field named `name` (any case) is present. */
  has(name: string): boolean {
    const wanted = name.toLowerCase();
    const raw = this.#raw;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i].length === wanted.length && raw[i].toLowerCase() === wanted) return true;
    }
    return false;
  }

  /** Calls `callback` for each field line in wire order, as `Headers.forEach` does. */
  forEach(callback: (value: string, name: string) => void): void {
    const raw = this.#raw;
    for (let i = 0; i < raw.length; i += 2) callback(raw[i + 1], raw[i]);
  }

  /** How many field lines there are (after obs-fold unfolding). */
  get size(): number {
    return this.#raw.length / 2;
  }

  /** Every field line as `[name, value]`, in wire order, names as received. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#raw.length; i += 2) yield [this.#raw[i], this.#raw[i + 1]];
  }

  /** The same as iterating the headers: `[name, value]` per field line, in wire order. */
  entries(): IterableIterator<[string, string]> {
    return this[Symbol.iterator]();
  }

  /** Names lower-cased, duplicates joined with `, `: for logging and JSON. */
  toJSON(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.#raw.length; i += 2) {
      const key = this.#raw[i].toLowerCase();
      out[key] = key in out ? `${out[key]}, ${this.#raw[i + 1]}` : this.#raw[i + 1];
    }
    return out;
  }
}

/**
 * Whether a comma-separated field value holds `token`, case-insensitively
 * (e.g. `close` in `Connection: keep-alive, Close`).
 */
export function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  for (const part of value.split(',')) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

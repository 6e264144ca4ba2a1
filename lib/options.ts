/**
 * How an {@link HttpConnection} behaves. Every field is optional; the
 * defaults are in {@link DEFAULT_OPTIONS} and the README.
 *
 * @example
 * new HttpConnection('http://127.0.0.1:8080', { maxPipelined: 32, timeout: 5_000 });
 */
export interface ConnectionOptions {
  /** Requests written and not yet answered, at most. 1 turns pipelining off. */
  maxPipelined?: number;
  /**
   * Milliseconds without progress on the awaited request (no byte of its
   * response read, no byte of its body accepted by the socket) before it
   * fails with ResponseTimeout; 0 for none. `RequestInit.timeout` overrides it.
   */
  timeout?: number;
  /** Milliseconds allowed to open the connection before ConnectError; 0 for none. */
  connectTimeout?: number;
  /** Milliseconds an `expect100` request waits for `100 Continue` before its body is sent anyway. */
  expect100Timeout?: number;
  /** Milliseconds an idle connection is kept when the server gave no `Keep-Alive: timeout` hint. */
  keepAliveTimeout?: number;
  /** Bytes allowed for a response head (and for a trailer section). */
  maxHeaderSize?: number;
  /** Body bytes allowed per response; unlimited when absent. */
  maxResponseSize?: number;
}

export type ResolvedOptions = Readonly<Required<ConnectionOptions>>;

export const DEFAULT_OPTIONS: ResolvedOptions = Object.freeze({
  maxPipelined: 10,
  timeout: 60_000,
  connectTimeout: 10_000,
  expect100Timeout: 1_000,
  keepAliveTimeout: 4_000,
  maxHeaderSize: 64 * 1024,
  maxResponseSize: Infinity,
});

/** Fills in defaults and rejects values that cannot work, naming the option. */
export function resolveOptions(options: ConnectionOptions | undefined): ResolvedOptions {
  if (options === undefined) return DEFAULT_OPTIONS;
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const known = new Set(Object.keys(DEFAULT_OPTIONS));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`unknown option ${JSON.stringify(key)}`);
  }
  const resolved = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
  checkNumber('maxPipelined', resolved.maxPipelined, 1, true);
  checkNumber('timeout', resolved.timeout, 0, false);
  checkNumber('connectTimeout', resolved.connectTimeout, 0, false);
  checkNumber('expect100Timeout', resolved.expect100Timeout, 0, false);
  checkNumber('keepAliveTimeout', resolved.keepAliveTimeout, 0, false);
  checkNumber('maxHeaderSize', resolved.maxHeaderSize, 64, true);
  if (resolved.maxResponseSize !== Infinity) checkNumber('maxResponseSize', resolved.maxResponseSize, 0, true);
  return Object.freeze(resolved);
}

function stripUndefined(options: ConnectionOptions): ConnectionOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as ConnectionOptions;
}

function checkNumber(name: string, value: unknown, min: number, integer: boolean): void {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`option ${name} must be a number, got ${typeof value}`);
  if (value < min || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new RangeError(`option ${name} must be ${integer ? 'an integer' : 'a finite number'} >= ${min}, got ${value}`);
  }
  // setTimeout cannot wait longer than 2^31-1 ms; it would fire at once instead.
  if (!integer && value > 0x7fffffff) throw new RangeError(`option ${name} must be at most ${0x7fffffff} ms, got ${value}`);
}

import type { ConnectionOptions as NodeTlsOptions } from 'node:tls';

/**
 * The TLS settings of an `https:` connection: the client subset of Node.js's
 * `tls.ConnectionOptions`. Certificates and host names are verified unless
 * `rejectUnauthorized` is false.
 *
 * @example
 * new HttpConnection('https://store.internal', { tls: { ca: fs.readFileSync('internal-ca.pem') } });
 */
export type TlsOptions = Pick<
  NodeTlsOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'servername'
  | 'rejectUnauthorized'
  | 'minVersion'
  | 'maxVersion'
  | 'ciphers'
  | 'checkServerIdentity'
>;

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
  /**
   * Re-send, once, on a new connection, a written request that lost its
   * connection before any of its response arrived, when its method is
   * idempotent (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE) and
   * its body can be sent again (none, text or bytes; not a stream). Off by
   * default: the server may have processed the request once already.
   * `RequestInit.resendIdempotent` sets it per request.
   */
  resendIdempotent?: boolean;
  /** TLS settings for `https:` origins (ignored for `http:` ones). */
  tls?: TlsOptions;
  /**
   * A forward proxy, `http://[user:password@]host:port`: each connection is
   * a CONNECT tunnel through it (RFC 9110 §9.3.6), for `http:` and `https:`
   * origins alike. See also {@link proxyFromEnv}.
   */
  proxy?: string | URL;
  /** A Unix domain socket to connect to instead of the origin's host and port; the origin still gives `Host`. */
  socketPath?: string;
}

/** The options that have a default: every one but the transport's (`tls`, `proxy`, `socketPath`). */
export type Limits = Omit<ConnectionOptions, 'tls' | 'proxy' | 'socketPath'>;

export type ResolvedOptions = Readonly<Required<Limits>> & Readonly<Pick<ConnectionOptions, 'tls' | 'proxy' | 'socketPath'>>;

/** The TLS settings httpio passes on, each with the type it must have. */
const TLS_KEYS: Record<keyof TlsOptions, (value: unknown) => boolean> = {
  ca: isCertificates,
  cert: isCertificates,
  key: (value) => isCertificates(value) || (Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null)),
  pfx: (value) => isCertificates(value) || (Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null)),
  passphrase: (value) => typeof value === 'string',
  servername: (value) => typeof value === 'string',
  rejectUnauthorized: (value) => typeof value === 'boolean',
  minVersion: isTlsVersion,
  maxVersion: isTlsVersion,
  ciphers: (value) => typeof value === 'string',
  checkServerIdentity: (value) => typeof value === 'function',
};

/**
 * The default of every option that has one, as documented in the README.
 *
 * @example
 * new HttpConnection(url, { timeout: DEFAULT_OPTIONS.timeout * 2 });
 */
export const DEFAULT_OPTIONS: Readonly<Required<Limits>> = Object.freeze({
  maxPipelined: 10,
  timeout: 60_000,
  connectTimeout: 10_000,
  expect100Timeout: 1_000,
  keepAliveTimeout: 4_000,
  maxHeaderSize: 64 * 1024,
  maxResponseSize: Infinity,
  resendIdempotent: false,
});

/** Fills in defaults and rejects values that cannot work, naming the option. */
export function resolveOptions(options: ConnectionOptions | undefined): ResolvedOptions {
  if (options === undefined) return DEFAULT_OPTIONS;
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const known = new Set([...Object.keys(DEFAULT_OPTIONS), 'tls', 'proxy', 'socketPath']);
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
  if (typeof resolved.resendIdempotent !== 'boolean')
    throw new TypeError(`option resendIdempotent must be a boolean, got ${typeof resolved.resendIdempotent}`);
  if (resolved.tls !== undefined) checkTls(resolved.tls);
  if (resolved.proxy !== undefined && typeof resolved.proxy !== 'string' && !(resolved.proxy instanceof URL)) {
    throw new TypeError(`option proxy must be a URL string, got ${typeof resolved.proxy}`);
  }
  if (resolved.socketPath !== undefined && (typeof resolved.socketPath !== 'string' || resolved.socketPath === '')) {
    throw new TypeError('option socketPath must be a non-empty path string');
  }
  if (resolved.socketPath !== undefined && resolved.proxy !== undefined) {
    throw new TypeError("options socketPath and proxy cannot be used together: a tunnel goes through the proxy's TCP port");
  }
  return Object.freeze(resolved);
}

function checkTls(tls: unknown): void {
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) throw new TypeError('option tls must be an object');
  for (const [key, value] of Object.entries(tls)) {
    const check = TLS_KEYS[key as keyof TlsOptions];
    if (check === undefined) {
      throw new TypeError(`unknown option tls.${key}; httpio takes ${Object.keys(TLS_KEYS).join(', ')}`);
    }
    if (value !== undefined && !check(value)) throw new TypeError(`option tls.${key} has the wrong type (${typeof value})`);
  }
}

function isCertificates(value: unknown): boolean {
  const one = (item: unknown) => typeof item === 'string' || item instanceof Uint8Array;
  return one(value) || (Array.isArray(value) && value.every(one));
}

function isTlsVersion(value: unknown): boolean {
  return value === 'TLSv1' || value === 'TLSv1.1' || value === 'TLSv1.2' || value === 'TLSv1.3';
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

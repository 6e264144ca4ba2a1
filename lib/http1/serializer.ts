import { RequestError } from '../errors';
import { hasToken } from '../headers';
import { isBodyStream, type BodyStream, type HeadersInit, type RequestInit } from '../request';

export { isBodyStream } from '../request';
export type { BodyStream, HeadersInit, RequestBody, RequestInit } from '../request';

/** A request ready for the wire: every caller-supplied token has been checked. */
export interface SerializedRequest {
  /** The method and target, for errors that name the request. */
  readonly method: string;
  readonly path: string;
  /** The request line and header section, CRLF-terminated, as bytes. */
  readonly head: Buffer;
  /** A known-size body, written right after the head; `null` when there is none. */
  readonly body: Uint8Array | null;
  /** A streamed body, written after the head as it is read; `null` when there is none. */
  readonly stream: BodyStream | null;
  /** A streamed body's declared length, or -1 when it is sent chunked. */
  readonly streamLength: number;
  /** The head asks `Expect: 100-continue`: the body waits for the server's answer. */
  readonly expect100: boolean;
  /** HEAD responses have no body whatever their fields say (RFC 9110 §9.3.2). */
  readonly isHead: boolean;
  /** The caller sent `Connection: close`: nothing may follow this request on its connection. */
  readonly closes: boolean;
  /** `RequestInit.timeout`, or null for the connection's. */
  readonly timeout: number | null;
  /** May be re-sent after a lost connection: `RequestInit.resendIdempotent`, or null for the connection's; false when it cannot be. */
  readonly resend: boolean | null;
}

/** RFC 9110 §9.2.2: methods whose effect is the same however many times a request is made. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** setTimeout cannot wait longer than 2^31-1 ms; it would fire at once instead. */
const MAX_TIMEOUT = 0x7fffffff;

/** tchar+ (RFC 9110 §5.6.2): methods and field names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value may hold HTAB, SP, VCHAR and obs-text, nothing else (RFC 9110 §5.5). */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** origin-form, absolute-form or asterisk-form (RFC 9112 §3.2), visible ASCII only; no fragment. */
const TARGET = /^(?:\/[\x21-\x22\x24-\x7e]*|\*|https?:\/\/[\x21-\x22\x24-\x7e]+)$/;
/** Methods whose requests define a meaning for content: send `Content-Length: 0` when there is none (RFC 9110 §8.6). */
const CONTENT_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Builds the bytes of a request, or throws RequestError naming what is
 * wrong; nothing is written for a request that fails here.
 *
 * @example
 * const { head } = serializeRequest('GET', '/', {}, '127.0.0.1:8080');
 * head.toString('latin1'); // 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n'
 */
export function serializeRequest(method: string, path: string, init: RequestInit | undefined, host: string): SerializedRequest {
  // A request with nothing but a method and a path (most GETs of a crawl or
  // a poll) is the same bytes every time: built and checked once.
  if (init === undefined && typeof method === 'string' && typeof path === 'string') {
    const key = `${host}\n${method}\n${path}`;
    let built = plain.get(key);
    if (built === undefined) {
      built = build(method, path, undefined, host);
      if (plain.size >= PLAIN_CACHE_SIZE) plain.clear();
      plain.set(key, built);
    }
    return built;
  }
  return build(method, path, init, host);
}

/** Heads of requests without init, by host, method and path; cleared when full, so it stays small. */
const plain = new Map<string, SerializedRequest>();
const PLAIN_CACHE_SIZE = 1024;

function build(method: string, path: string, init: RequestInit | undefined, host: string): SerializedRequest {
  if (typeof method !== 'string' || !TOKEN.test(method)) {
    throw new RequestError(`invalid method ${JSON.stringify(method)}: it must be a token (RFC 9110 §9.1)`);
  }
  if (typeof path !== 'string' || !TARGET.test(path)) {
    throw new RequestError(
      `invalid path ${JSON.stringify(path)}: it must start with "/" and hold only visible ASCII, without "#" (percent-encode the rest)`,
    );
  }
  const stream = isBodyStream(init?.body) ? (init!.body as BodyStream) : null;
  const body = stream === null ? encodeBody(init?.body) : null;
  const declared = init?.contentLength;
  if (declared !== undefined && (typeof declared !== 'number' || !Number.isSafeInteger(declared) || declared < 0)) {
    throw new RequestError(`invalid contentLength ${String(declared)}: expected a non-negative integer`);
  }
  if (declared !== undefined && stream === null && declared !== (body?.length ?? 0)) {
    throw new RequestError(`contentLength ${declared} does not match the body's ${body?.length ?? 0} bytes`);
  }
  const timeout = init?.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > MAX_TIMEOUT)) {
    throw new RequestError(`invalid timeout ${String(timeout)}: expected a number of milliseconds from 0 (none) to ${MAX_TIMEOUT}`);
  }
  if (init?.resendIdempotent !== undefined && typeof init.resendIdempotent !== 'boolean') {
    throw new RequestError(`invalid resendIdempotent ${String(init.resendIdempotent)}: expected a boolean`);
  }
  const streamLength = stream !== null ? (declared ?? -1) : -1;
  const expect100 = init?.expect100 === true && (stream !== null ? streamLength !== 0 : body !== null && body.length > 0);

  let fields = '';
  let hasHost = false;
  let closes = false;
  let declaredLength: string | null = null;
  if (init?.headers !== undefined) {
    for (const [name, value] of headerEntries(init.headers)) {
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        declaredLength = value;
        continue;
      }
      if (lower === 'transfer-encoding') {
        throw new RequestError('the Transfer-Encoding header is set by httpio: pass a stream as the body for chunked coding');
      }
      if (lower === 'expect') throw new RequestError('the Expect header is set by httpio: use the expect100 option');
      if (lower === 'host') hasHost = true;
      else if (lower === 'connection' && hasToken(value, 'close')) closes = true;
      fields += `${name}: ${value}\r\n`;
    }
  }

  // RFC 9110 §8.6: a length for every body, and 0 for methods that expect one.
  const length = stream !== null ? streamLength : body !== null ? body.length : CONTENT_METHODS.has(method) ? 0 : -1;
  if (declaredLength !== null && ((stream !== null && streamLength < 0) || declaredLength !== String(Math.max(length, 0)))) {
    throw new RequestError(
      `the Content-Length header says ${declaredLength} but the body ${length < 0 ? 'is streamed without contentLength' : `has ${length} bytes`}`,
    );
  }
  let framing = '';
  if (stream !== null && streamLength < 0) framing = 'Transfer-Encoding: chunked\r\n';
  else if (length !== -1 || declaredLength !== null) framing = `Content-Length: ${Math.max(length, 0)}\r\n`;
  if (expect100) framing += 'Expect: 100-continue\r\n';
  const head = `${method} ${path} HTTP/1.1\r\n${hasHost ? '' : `Host: ${host}\r\n`}${fields}${framing}\r\n`;
  return {
    method,
    path,
    head: Buffer.from(head, 'latin1'),
    body: body !== null && body.length > 0 ? body : null,
    stream,
    streamLength,
    expect100,
    isHead: method === 'HEAD',
    closes,
    timeout: timeout ?? null,
    resend: stream !== null || !IDEMPOTENT.has(method) ? false : (init?.resendIdempotent ?? null),
  };
}

function encodeBody(body: unknown): Uint8Array | null {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  throw new RequestError(`invalid body: expected a string, a Uint8Array, an Observable or an AsyncIterable, got ${describe(body)}`);
}

/** Yields checked `[name, value]` pairs, values trimmed of surrounding whitespace. */
function* headerEntries(headers: HeadersInit): Generator<[string, string]> {
  if (typeof headers !== 'object' || headers === null) {
    throw new RequestError(`invalid headers: expected a record or [name, value] pairs, got ${describe(headers)}`);
  }
  if (Symbol.iterator in headers) {
    for (const pair of headers as Iterable<readonly [string, string | number]>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new RequestError(`invalid header entry ${describe(pair)}: expected a [name, value] pair`);
      }
      yield checkedField(pair[0], pair[1]);
    }
    return;
  }
  for (const name of Object.keys(headers)) {
    const value = (headers as Record<string, string | number | readonly string[]>)[name];
    if (Array.isArray(value)) for (const item of value) yield checkedField(name, item);
    else yield checkedField(name, value as string | number);
  }
}

function checkedField(name: unknown, value: unknown): [string, string] {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new RequestError(`invalid header name ${JSON.stringify(name)}: it must be a token (RFC 9110 §5.1)`);
  }
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else throw new RequestError(`invalid value for header ${name}: expected a string or a finite number, got ${describe(value)}`);
  // RFC 9110 §5.5: leading and trailing whitespace is not part of a value.
  text = text.replace(/^[\t ]+|[\t ]+$/g, '');
  const bad = INVALID_VALUE.exec(text);
  if (bad !== null) {
    const c = bad[0].charCodeAt(0);
    const what = c === 13 ? 'CR' : c === 10 ? 'LF' : c === 0 ? 'NUL' : `character U+${c.toString(16).padStart(4, '0')}`;
    throw new RequestError(`invalid value for header ${name}: it holds ${what}`);
  }
  return [name, text];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

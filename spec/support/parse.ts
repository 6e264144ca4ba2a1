import { DEFAULT_LIMITS, ResponseParser, type ParsedEvent, type ParserLimits } from '../../lib/http1/parser';
import type { HttpHeaders } from '../../lib/headers';

// Feeds bytes to a ResponseParser in chosen pieces and records what it emits,
// in a plain shape that specs can compare with toEqual: header fields as
// [name, value] pairs, consecutive data pieces joined into one latin1 string.

/** A string's bytes, one per char code (latin1), so tests can write any byte. */
export function bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

export type Fields = [string, string][];

export type Ev =
  | { type: 'informational'; status: number; reason: string; headers: Fields }
  | { type: 'head'; status: number; reason: string; version: '1.0' | '1.1'; headers: Fields }
  | { type: 'data'; data: string }
  | { type: 'trailers'; headers: Fields }
  | { type: 'end' };

/** How the input is cut into execute() calls. */
export type Split = 'whole' | 'bytes' | readonly number[];

export interface ParseOptions {
  /** Answers to headRequest(), one per final response; false once they run out. */
  heads?: readonly boolean[];
  limits?: Partial<ParserLimits>;
  split?: Split;
  /** Call finish() after the last piece (when no error was thrown). */
  finish?: boolean;
}

export interface ParseResult {
  /** Events in order, data joined. */
  events: Ev[];
  /** The events exactly as emitted. */
  raw: ParsedEvent[];
  /** What execute() threw, if anything. */
  error: unknown;
  /** What finish() returned, when it was called. */
  finished?: boolean;
  /** How many times headRequest() was asked. */
  headRequests: number;
  /** Input bytes handed to execute() up to and including the call that threw. */
  fed: number;
}

export function fields(headers: HttpHeaders): Fields {
  return [...headers];
}

/** Cuts `input` at the given offsets (sorted, duplicates allowed: they give empty pieces). */
export function cut(input: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const at of [...offsets].sort((a, b) => a - b)) {
    const to = Math.max(from, Math.min(at, input.length));
    pieces.push(input.subarray(from, to));
    from = to;
  }
  pieces.push(input.subarray(from));
  return pieces;
}

export function pieces(input: Uint8Array, split: Split): Uint8Array[] {
  if (split === 'whole') return [input];
  if (split === 'bytes') {
    const out: Uint8Array[] = [];
    for (let i = 0; i < input.length; i++) out.push(input.subarray(i, i + 1));
    return out;
  }
  return cut(input, split);
}

/** Normalises events and joins consecutive data events. */
export function normalise(raw: readonly ParsedEvent[]): Ev[] {
  const out: Ev[] = [];
  for (const event of raw) {
    switch (event.type) {
      case 'informational':
        out.push({ type: 'informational', status: event.status, reason: event.reason, headers: fields(event.headers) });
        break;
      case 'head':
        out.push({
          type: 'head',
          status: event.status,
          reason: event.reason,
          version: event.version,
          headers: fields(event.headers),
        });
        break;
      case 'data': {
        const text = Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength).toString('latin1');
        const last = out[out.length - 1];
        if (last !== undefined && last.type === 'data') last.data += text;
        else out.push({ type: 'data', data: text });
        break;
      }
      case 'trailers':
        out.push({ type: 'trailers', headers: fields(event.headers) });
        break;
      case 'end':
        out.push({ type: 'end' });
        break;
    }
  }
  return out;
}

/** A parser whose events go into `raw`; headRequest() answers from `heads`. */
export function recordingParser(options: Pick<ParseOptions, 'heads' | 'limits'> = {}) {
  const raw: ParsedEvent[] = [];
  const heads = options.heads ?? [];
  const state = { headRequests: 0 };
  const parser = new ResponseParser(
    {
      headRequest: () => heads[state.headRequests++] ?? false,
      onEvent: (event) => raw.push(event),
    },
    { ...DEFAULT_LIMITS, ...options.limits },
  );
  return { parser, raw, state };
}

/** Feeds `input` to a fresh parser, cut as `split` says, and records the outcome. */
export function parse(input: string | Uint8Array, options: ParseOptions = {}): ParseResult {
  const data = typeof input === 'string' ? bytes(input) : input;
  const { parser, raw, state } = recordingParser(options);
  let error: unknown;
  let finished: boolean | undefined;
  let fed = 0;
  try {
    for (const piece of pieces(data, options.split ?? 'whole')) {
      fed += piece.length;
      const consumed = parser.execute(piece);
      if (consumed !== piece.length) throw new Error(`execute() consumed ${consumed} of ${piece.length} bytes`);
    }
    if (options.finish) finished = parser.finish();
  } catch (err) {
    error = err;
  }
  return { events: normalise(raw), raw, error, finished, headRequests: state.headRequests, fed };
}

/** Shorthand for the events of one well-formed head. */
export function head(status: number, reason: string, headers: Fields = [], version: '1.0' | '1.1' = '1.1'): Ev {
  return { type: 'head', status, reason, version, headers };
}

export function data(text: string): Ev {
  return { type: 'data', data: text };
}

export const END: Ev = { type: 'end' };

/** The class name of a thrown error, or undefined; for comparing outcomes. */
export function errorName(error: unknown): string | undefined {
  return error === undefined ? undefined : error instanceof Error ? error.constructor.name : String(error);
}

/**
 * Parses `input` whole and again one byte per execute() call, expects both to
 * give the same events, error class and finish() result, and returns the
 * whole-input result.
 */
export function parseEach(input: string | Uint8Array, options: Omit<ParseOptions, 'split'> = {}): ParseResult {
  const whole = parse(input, { ...options, split: 'whole' });
  const byByte = parse(input, { ...options, split: 'bytes' });
  expect(byByte.events).withContext('events, one byte at a time').toEqual(whole.events);
  expect(errorName(byByte.error)).withContext('error, one byte at a time').toBe(errorName(whole.error));
  expect(byByte.finished).withContext('finish(), one byte at a time').toBe(whole.finished);
  expect(byByte.headRequests).withContext('headRequest() calls, one byte at a time').toBe(whole.headRequests);
  return whole;
}

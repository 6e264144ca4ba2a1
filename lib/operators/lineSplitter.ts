import type { Observable, Subscriber, Subscription } from 'rxjs';
import { InvalidResponse } from '../errors';
import type { ResponseEvent } from '../events';

/** The default `maxLineLength` of lines(), ndjson() and sse(): 1 MiB of text. */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

/** The option lines(), ndjson() and sse() share. */
export interface LineOptions {
  /**
   * The longest line allowed, in UTF-16 code units (JavaScript string length:
   * bytes for ASCII text), not counting its line end; a longer one errors with
   * InvalidResponse naming the limit. Default 1 MiB.
   */
  maxLineLength?: number;
}

/**
 * Which line ends count: `'lf'` for LF and CRLF (lines(), ndjson()); `'any'`
 * for CR, LF and CRLF (sse(), WHATWG HTML §9.2.5 "end-of-line").
 */
export type LineEnds = 'lf' | 'any';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Cuts a UTF-8 byte stream into lines as the bytes arrive, for the
 * line-based operators. Internal: not part of the public surface.
 *
 * Bytes are decoded with one streaming TextDecoder, so a character split
 * across pieces comes out whole; a leading BOM is dropped and malformed
 * bytes become U+FFFD. Each piece is scanned once: the unfinished line is
 * kept as a list of fragments joined when its end arrives, so a line that
 * comes one byte at a time costs O(its length), and besides the piece being
 * scanned at most `maxLineLength` + 1 code units are held, however long the
 * server's line is.
 *
 * @example
 * const splitter = new LineSplitter('lines()', 'lf', 1024, (line, n) => console.log(n, line));
 * splitter.write(Buffer.from('a\r\nb'));
 * splitter.end(); // 'b', the last line without a line end
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  /** Fragments of the line not yet ended, in order. */
  private fragments: string[] = [];
  /** Their total length. */
  private pending = 0;
  /** 'any' mode: the last text ended with CR, so an LF first in the next one ends nothing (CRLF split in two). */
  private afterCR = false;
  /** Lines ended so far, blank ones included: the 1-based number of the next one minus one. */
  private count = 0;

  constructor(
    /** The operator, for error messages: `'lines()'`. */
    private readonly operator: string,
    private readonly ends: LineEnds,
    private readonly maxLineLength: number,
    /** Called with each line, without its line end, and its 1-based number. */
    private readonly onLine: (line: string, lineNumber: number) => void,
  ) {}

  /** Takes the next piece of the body; throws InvalidResponse past maxLineLength, or what onLine throws. */
  write(bytes: Uint8Array): void {
    this.scan(this.decoder.decode(bytes, { stream: true }));
  }

  /**
   * The body has ended: returns the last line if it had no line end and is
   * not empty (lines() emits it; sse() drops it, as WHATWG HTML §9.2.6 says),
   * else null. It is counted, so lineNumber tells its number.
   */
  end(): string | null {
    this.scan(this.decoder.decode());
    if (this.pending === 0) return null;
    // No LF follows: a last CR is part of the line in 'lf' mode.
    const line = this.finish('');
    this.check(line);
    return line;
  }

  /** How many lines have ended, including the one end() returned. */
  get lineNumber(): number {
    return this.count;
  }

  private scan(text: string): void {
    let start = 0;
    if (this.afterCR && text.length > 0) {
      this.afterCR = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    if (this.ends === 'lf') {
      for (let lf = text.indexOf('\n', start); lf !== -1; lf = text.indexOf('\n', start)) {
        this.emit(this.finish(text.slice(start, lf)));
        start = lf + 1;
      }
    } else {
      // Two searches, each run again only once passed: a text with many LFs
      // and no CR is not scanned again for a CR at every line.
      let cr = text.indexOf('\r', start);
      let lf = text.indexOf('\n', start);
      while (cr !== -1 || lf !== -1) {
        const at = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
        this.emit(this.finish(text.slice(start, at)));
        start = at + 1;
        if (at === cr) {
          if (start === text.length) this.afterCR = true;
          else if (text.charCodeAt(start) === LF) start++;
        }
        if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
        if (lf !== -1 && lf < start) lf = text.indexOf('\n', start);
      }
    }
    if (start < text.length) {
      const rest = start === 0 ? text : text.slice(start);
      this.fragments.push(rest);
      this.pending += rest.length;
      // In 'lf' mode the last unit may be the CR of a CRLF, not part of the line.
      if (this.pending > this.maxLineLength + (this.ends === 'lf' ? 1 : 0)) this.tooLong(this.count + 1);
    }
  }

  /** Joins the pending fragments and `last` into the line they make, and counts it. */
  private finish(last: string): string {
    let line = last;
    if (this.pending > 0) {
      this.fragments.push(last);
      line = this.fragments.length === 2 ? this.fragments[0] + last : this.fragments.join('');
      this.fragments = [];
      this.pending = 0;
    }
    this.count++;
    return line;
  }

  /** Hands on a line that met its line end. */
  private emit(line: string): void {
    // 'lf' mode: a CR just before the LF belongs to the line end (CRLF).
    const cut = this.ends === 'lf' && line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
    this.check(cut);
    this.onLine(cut, this.count);
  }

  private check(line: string): void {
    if (line.length > this.maxLineLength) this.tooLong(this.count);
  }

  private tooLong(lineNumber: number): never {
    throw new InvalidResponse(`${this.operator}: line ${lineNumber} is longer than maxLineLength (${this.maxLineLength})`);
  }
}

/** Checks a `maxLineLength`-like option, naming it; returns the value or the default. */
export function limitOption(operator: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 1) || (!Number.isInteger(value) && value !== Infinity)) {
    throw new RangeError(`${operator}: option ${name} must be an integer >= 1 or Infinity, got ${String(value)}`);
  }
  return value;
}

/**
 * Feeds a response's body pieces into `splitter` as they arrive, for the
 * line-based operators, and hands the last line (one without a line end)
 * to `last` when the body ends. A throw from the splitter or from `last`
 * errors `subscriber`; the source's error and end go on to it.
 *
 * @example
 * return feedLines(source, subscriber, splitter, (line) => subscriber.next(line));
 */
export function feedLines(
  source: Observable<ResponseEvent>,
  subscriber: Subscriber<unknown>,
  splitter: LineSplitter,
  last: (line: string, lineNumber: number) => void,
): Subscription {
  return source.subscribe({
    next(event) {
      // A synchronous source keeps calling after an error or an unsubscribe from downstream.
      if (event.type !== 'data' || subscriber.closed) return;
      try {
        splitter.write(event.data);
      } catch (err) {
        subscriber.error(err);
      }
    },
    error: (err) => subscriber.error(err),
    complete() {
      try {
        const line = splitter.end();
        if (line !== null) last(line, splitter.lineNumber);
        subscriber.complete();
      } catch (err) {
        subscriber.error(err);
      }
    },
  });
}

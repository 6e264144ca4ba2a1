import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, concat, of, take, throwError, type Observable, type OperatorFunction } from 'rxjs';
import { InvalidResponse } from '../../lib/errors';
import type { DataEvent, HeadEvent, ResponseEvent } from '../../lib/events';
import { HttpHeaders } from '../../lib/headers';
import { lines } from '../../lib/operators/lines';

// Response events built by hand, as in operators.spec.ts: no socket needed.

const head = (): HeadEvent => ({
  type: 'head',
  status: 200,
  reason: 'OK',
  version: '1.1',
  headers: new HttpHeaders(['Content-Type', 'text/plain']),
});
const data = (piece: string | Uint8Array): DataEvent => ({
  type: 'data',
  data: typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece,
  pause: () => () => undefined,
});

/** A body cut at `cuts` (byte offsets), as a response: head, data events, trailers. */
function body(bytes: Uint8Array, cuts: number[] = []): Observable<ResponseEvent> {
  const at = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const pieces = [0, ...at].map((start, i) => data(bytes.subarray(start, at[i] ?? bytes.length)));
  return of<ResponseEvent[]>(head(), ...pieces, { type: 'trailers', headers: new HttpHeaders(['X', 'y']) });
}

/** Runs a synchronous source through `op`: what it emitted and how it ended. */
function run<T>(source: Observable<ResponseEvent>, op: OperatorFunction<ResponseEvent, T>) {
  const out: { values: T[]; error?: unknown; completed: boolean } = { values: [], completed: false };
  source.pipe(op).subscribe({ next: (v) => out.values.push(v), error: (e) => (out.error = e), complete: () => (out.completed = true) });
  return out;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const textLines = (s: string, cuts?: number[]) => run(body(utf8(s), cuts), lines());

describe('lines()', () => {
  it('emits one string per line: LF or CRLF ends a line, a lone CR is part of it', () => {
    const out = textLines('one\ntwo\r\nthree\rstill three\n');
    expect(out.values).toEqual(['one', 'two', 'three\rstill three']);
    expect(out.completed).toBeTrue();
  });

  it('counts a last line without a line end, keeps blank lines, and gives nothing for an empty body', () => {
    expect(textLines('a\n\nb').values).toEqual(['a', '', 'b']);
    expect(textLines('\n').values).toEqual(['']);
    expect(textLines('a\r').values).toEqual(['a\r']);
    const empty = run(of<ResponseEvent[]>(head()), lines());
    expect(empty.values).toEqual([]);
    expect(empty.completed).toBeTrue();
  });

  it('emits each line as soon as its line end arrives, before the body ends', () => {
    const source = new Subject<ResponseEvent>();
    const seen: string[] = [];
    let completed = false;
    source.pipe(lines()).subscribe({ next: (line) => seen.push(line), complete: () => (completed = true) });
    source.next(head());
    source.next(data('first\nsec'));
    expect(seen).toEqual(['first']);
    source.next(data('ond\r'));
    expect(seen).toEqual(['first']);
    source.next(data('\nthi'));
    expect(seen).toEqual(['first', 'second']);
    source.complete();
    expect(seen).toEqual(['first', 'second', 'thi']);
    expect(completed).toBeTrue();
  });

  it('decodes a character split across data events whole, at every byte of it', () => {
    const text = 'é€😀\n';
    const bytes = utf8(text);
    for (let at = 1; at < bytes.length; at++) {
      expect(run(body(bytes, [at]), lines()).values)
        .withContext(`cut at ${at}`)
        .toEqual(['é€😀']);
    }
    // One byte per data event.
    expect(run(body(bytes, [...bytes.keys()]), lines()).values).toEqual(['é€😀']);
  });

  it('drops a leading BOM and turns malformed bytes into U+FFFD', () => {
    expect(run(body(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0a, 0xff, 0x62]), [1, 2]), lines()).values).toEqual(['a', '\uFFFDb']);
  });

  it('takes only the data events: interim responses, the head and trailers are skipped', () => {
    const events = of<ResponseEvent[]>(
      { type: 'informational', status: 103, reason: 'Early Hints', headers: new HttpHeaders(['Link', '</a>']) },
      head(),
      data('x\ny'),
      { type: 'trailers', headers: new HttpHeaders(['Digest', 'abc']) },
    );
    expect(run(events, lines()).values).toEqual(['x', 'y']);
  });

  it("passes the source's error through after the lines before it", () => {
    const failure = new Error('lost');
    const out = run(
      concat(
        of<ResponseEvent[]>(head(), data('a\nb')),
        throwError(() => failure),
      ),
      lines(),
    );
    expect(out.values).toEqual(['a']);
    expect(out.error).toBe(failure);
  });

  it('stops at take(): a downstream unsubscribe ends the source subscription', () => {
    const source = new Subject<ResponseEvent>();
    const seen: string[] = [];
    source.pipe(lines(), take(1)).subscribe((line) => seen.push(line));
    source.next(data('a\nb\nc\n'));
    expect(seen).toEqual(['a']);
    expect(source.observed).toBeFalse();
  });

  describe('maxLineLength', () => {
    it('errors with InvalidResponse naming the limit and the line when a line is longer', () => {
      const out = run(body(utf8('abcd\nabcde\nx\n')), lines({ maxLineLength: 4 }));
      expect(out.values).toEqual(['abcd']);
      expect(out.error).toBeInstanceOf(InvalidResponse);
      expect((out.error as Error).message).toContain('maxLineLength (4)');
      expect((out.error as Error).message).toContain('line 2');
    });

    it('does not count the line end: a CRLF split from its line is not one unit too many', () => {
      expect(run(body(utf8('abcd\r\nefgh\r\n'), [5, 11]), lines({ maxLineLength: 4 })).values).toEqual(['abcd', 'efgh']);
      // A last line ending in CR without LF keeps its CR, which then counts.
      expect(run(body(utf8('abcd\r'), [4]), lines({ maxLineLength: 4 })).error).toBeInstanceOf(InvalidResponse);
    });

    it('errors as soon as an unended line passes the limit, without waiting for the body to end', () => {
      const source = new Subject<ResponseEvent>();
      let error: unknown;
      source.pipe(lines({ maxLineLength: 10 })).subscribe({ error: (e) => (error = e) });
      source.next(head());
      let fed = 0;
      for (; fed < 1000 && error === undefined; fed++) source.next(data('x'));
      expect(error).toBeInstanceOf(InvalidResponse);
      // At most one unit past the limit is held: it may be the CR of a CRLF.
      expect(fed).toBe(12);
      // The request is let go: the server's endless line is not read on.
      expect(source.observed).toBeFalse();
    });

    it('is 1 MiB of text by default', () => {
      const limit = 1024 * 1024;
      expect(run(body(utf8('y'.repeat(limit) + '\n'), [1000, 500_000]), lines()).values[0].length).toBe(limit);
      expect(run(body(utf8('y'.repeat(limit + 1) + '\n'), [1000, 500_000]), lines()).error).toBeInstanceOf(InvalidResponse);
    });

    it('must be an integer >= 1 (or Infinity), else RangeError naming the option', () => {
      expect(() => lines({ maxLineLength: 0 })).toThrowError(RangeError, /maxLineLength/);
      expect(() => lines({ maxLineLength: 1.5 })).toThrowError(RangeError, /maxLineLength/);
      expect(() => lines({ maxLineLength: Infinity })).not.toThrow();
    });
  });

  it('gives the same lines however the body is cut (property)', () => {
    const piece = fc.constantFrom('a', 'bc', ' ', 'é', '€', '😀', '\n', '\r', '\r\n', '\n\n');
    const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (s, cuts) => {
        const bytes = utf8(s);
        // The model: split on LF, drop the CR of a CRLF, keep a last line that has no LF.
        const parts = s.split('\n');
        const last = parts.pop()!;
        const expected = parts.map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p));
        if (last !== '') expected.push(last);
        const out = run(
          body(
            bytes,
            cuts.map((c) => c % (bytes.length + 1)),
          ),
          lines(),
        );
        assert.equal(out.error, undefined);
        assert.equal(out.completed, true);
        assert.deepEqual(out.values, expected);
        assert.deepEqual(run(body(bytes, [...bytes.keys()]), lines()).values, expected);
      }),
      { numRuns: 300 },
    );
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, of, type Observable, type OperatorFunction } from 'rxjs';
import { InvalidResponse } from '../../lib/errors';
import type { DataEvent, HeadEvent, ResponseEvent } from '../../lib/events';
import { HttpHeaders } from '../../lib/headers';
import { ndjson } from '../../lib/operators/ndjson';

const head = (): HeadEvent => ({
  type: 'head',
  status: 200,
  reason: 'OK',
  version: '1.1',
  headers: new HttpHeaders(['Content-Type', 'application/x-ndjson']),
});
const data = (piece: string | Uint8Array): DataEvent => ({
  type: 'data',
  data: typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece,
  pause: () => () => undefined,
});

/** A body cut at `cuts` (byte offsets), as a response. */
function body(text: string, cuts: number[] = []): Observable<ResponseEvent> {
  const bytes = Buffer.from(text, 'utf8');
  const at = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  return of<ResponseEvent[]>(head(), ...[0, ...at].map((start, i) => data(bytes.subarray(start, at[i] ?? bytes.length))));
}

function run<T>(source: Observable<ResponseEvent>, op: OperatorFunction<ResponseEvent, T>) {
  const out: { values: T[]; error?: unknown; completed: boolean } = { values: [], completed: false };
  source.pipe(op).subscribe({ next: (v) => out.values.push(v), error: (e) => (out.error = e), complete: () => (out.completed = true) });
  return out;
}

describe('ndjson()', () => {
  it('emits one parsed value per line, CRLF or LF, the last line needing no line end', () => {
    const out = run(body('{"a":1}\r\n[2,3]\n"four"\nnull\n5'), ndjson());
    expect(out.values).toEqual([{ a: 1 }, [2, 3], 'four', null, 5]);
    expect(out.completed).toBeTrue();
  });

  it('skips blank and whitespace-only lines', () => {
    expect(run(body('\n  \n{"a":1}\n\t \r\n\n{"b":2}\n \n'), ndjson()).values).toEqual([{ a: 1 }, { b: 2 }]);
    expect(run(body(''), ndjson()).values).toEqual([]);
  });

  it('emits each value as soon as its line has arrived', () => {
    const source = new Subject<ResponseEvent>();
    const seen: unknown[] = [];
    source.pipe(ndjson()).subscribe((v) => seen.push(v));
    source.next(head());
    source.next(data('{"id":1}\n{"id"'));
    expect(seen).toEqual([{ id: 1 }]);
    source.next(data(':2}\n'));
    expect(seen).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('keeps a character split across data events whole', () => {
    const bytes = Buffer.from('["😀é"]\n', 'utf8');
    for (let at = 1; at < bytes.length; at++) {
      expect(run(body(bytes.toString(), [at]), ndjson()).values)
        .withContext(`cut at ${at}`)
        .toEqual([['😀é']]);
    }
  });

  it('errors on a bad line with a SyntaxError giving its 1-based number (blank lines counted) and its start, after the values before it', () => {
    const out = run(body('{"ok":true}\n\n{"broken": tru\n{"never":1}\n'), ndjson());
    expect(out.values).toEqual([{ ok: true }]);
    expect(out.completed).toBeFalse();
    const error = out.error as SyntaxError;
    expect(error).toBeInstanceOf(SyntaxError);
    expect(error.message).toContain('line 3');
    expect(error.message).toContain('"{\\"broken\\": tru"');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('shows only the start of a long bad line', () => {
    const error = run(body(`1\n${'x'.repeat(10_000)}`), ndjson()).error as SyntaxError;
    expect(error.message).toContain('line 2');
    expect(error.message).toContain(`"${'x'.repeat(40)}"…`);
    expect(error.message.length).toBeLessThan(300);
  });

  it('errors with InvalidResponse naming maxLineLength when a line is longer', () => {
    const out = run(body('[1]\n[1,2,3,4,5]\n'), ndjson({ maxLineLength: 5 }));
    expect(out.values).toEqual([[1]]);
    expect(out.error).toBeInstanceOf(InvalidResponse);
    expect((out.error as Error).message).toContain('maxLineLength (5)');
  });

  it('gives the same values however the body is cut (property)', () => {
    const values = fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 8 });
    const gap = fc.constantFrom('', '\n', ' \n', '\r\n');
    fc.assert(
      fc.property(
        values,
        fc.array(gap, { minLength: 9, maxLength: 9 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        (items, gaps, cuts, crlf) => {
          const text = items.map((v, i) => gaps[i] + JSON.stringify(v) + (crlf ? '\r\n' : '\n')).join('') + gaps[8];
          const size = Buffer.byteLength(text);
          const out = run(
            body(
              text,
              cuts.map((c) => c % (size + 1)),
            ),
            ndjson(),
          );
          assert.equal(out.error, undefined);
          assert.deepEqual(
            out.values,
            items.map((v) => JSON.parse(JSON.stringify(v))),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, concat, of, throwError, type Observable, type OperatorFunction } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { InvalidResponse } from '../../lib/errors';
import type { DataEvent, HeadEvent, ResponseEvent } from '../../lib/events';
import { HttpHeaders } from '../../lib/headers';
import { sse, type ServerSentEvent } from '../../lib/operators/sse';
import { tearDown } from '../support/fixture';
import { settle } from '../support/observe';
import { ScriptServer } from '../support/script-server';

// The rules checked here are WHATWG HTML §9.2.5 "Parsing an event stream"
// and §9.2.6 "Interpreting an event stream".

const head = (): HeadEvent => ({
  type: 'head',
  status: 200,
  reason: 'OK',
  version: '1.1',
  headers: new HttpHeaders(['Content-Type', 'text/event-stream']),
});
const data = (piece: string | Uint8Array): DataEvent => ({
  type: 'data',
  data: typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece,
  pause: () => () => undefined,
});

/** A stream body cut at `cuts` (byte offsets), as a response. */
function body(bytes: Uint8Array | string, cuts: number[] = []): Observable<ResponseEvent> {
  const all = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const at = [...new Set(cuts)].filter((c) => c > 0 && c < all.length).sort((a, b) => a - b);
  return of<ResponseEvent[]>(head(), ...[0, ...at].map((start, i) => data(all.subarray(start, at[i] ?? all.length))));
}

function run<T>(source: Observable<ResponseEvent>, op: OperatorFunction<ResponseEvent, T>) {
  const out: { values: T[]; error?: unknown; completed: boolean } = { values: [], completed: false };
  source.pipe(op).subscribe({ next: (v) => out.values.push(v), error: (e) => (out.error = e), complete: () => (out.completed = true) });
  return out;
}

const events = (text: string, cuts?: number[]) => run(body(text, cuts), sse()).values;

describe('sse()', () => {
  it("emits { event, data } per event, event being 'message' when absent or empty", () => {
    expect(events('data: hello\n\nevent: add\ndata: 73857293\n\nevent:\ndata: x\n\n')).toEqual([
      { event: 'message', data: 'hello' },
      { event: 'add', data: '73857293' },
      { event: 'message', data: 'x' },
    ]);
  });

  it('joins multi-line data with \\n and removes only the last line feed', () => {
    expect(events('data: first\ndata\ndata: third\n\ndata:\ndata:\n\n')).toEqual([
      { event: 'message', data: 'first\n\nthird' },
      { event: 'message', data: '\n' },
    ]);
  });

  it('ignores comments, unknown fields and a leading BOM (one)', () => {
    expect(events(':comment\n: another\ndata: a\nfoo: bar\n:\n\n')).toEqual([{ event: 'message', data: 'a' }]);
    expect(events('\uFEFFdata: bom\n\n')).toEqual([{ event: 'message', data: 'bom' }]);
    // A second BOM is part of the field name, which is then unknown.
    expect(events('\uFEFF\uFEFFdata: bom\n\n')).toEqual([]);
  });

  it('removes one space after the colon, and takes a line without a colon as a field with an empty value', () => {
    expect(events('data:  two spaces\n\ndata:none\n\ndata\n\n')).toEqual([
      { event: 'message', data: ' two spaces' },
      { event: 'message', data: 'none' },
      { event: 'message', data: '' },
    ]);
    expect(events('data: a:b: c\n\n')).toEqual([{ event: 'message', data: 'a:b: c' }]);
  });

  it('takes CR, LF and CRLF as line ends, in any mix', () => {
    expect(events('data: a\rdata: b\r\rdata: c\r\n\r\ndata: d\n\r\n')).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: 'c' },
      { event: 'message', data: 'd' },
    ]);
  });

  it('takes a CR at the end of one data event and an LF at the start of the next as one line end', () => {
    const text = 'data: a\r\ndata: b\r\n\r\n';
    for (let at = 1; at < text.length; at++) {
      expect(events(text, [at]))
        .withContext(`cut at ${at}`)
        .toEqual([{ event: 'message', data: 'a\nb' }]);
    }
  });

  it('dispatches at a blank line ended by CR at once, without waiting for the next byte', () => {
    const source = new Subject<ResponseEvent>();
    const seen: ServerSentEvent[] = [];
    source.pipe(sse()).subscribe((e) => seen.push(e));
    source.next(head());
    source.next(data('data: now\r'));
    expect(seen).toEqual([]);
    source.next(data('\r'));
    expect(seen).toEqual([{ event: 'message', data: 'now' }]);
  });

  it('keeps the last event ID across events, emits it as id, and lets an empty id field reset it', () => {
    expect(events('id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 7\n\ndata: d\n\n')).toEqual([
      { event: 'message', data: 'a', id: '1' },
      { event: 'message', data: 'b', id: '1' },
      { event: 'message', data: 'c' },
      // A block with only an id dispatches nothing but still sets the last event ID.
      { event: 'message', data: 'd', id: '7' },
    ]);
  });

  it('ignores an id that contains NUL', () => {
    expect(events('id: 1\n\nid: 2\0x\ndata: a\n\n')).toEqual([{ event: 'message', data: 'a', id: '1' }]);
  });

  it('takes retry only when it is all ASCII digits, and keeps it like the last event ID', () => {
    expect(
      events(
        'retry: 3000\n\ndata: a\n\nretry: 10a\ndata: b\n\nretry: -1\nretry:\nretry: 1.5\nretry:  5\ndata: c\n\nretry: 42\ndata: d\n\n',
      ),
    ).toEqual([
      { event: 'message', data: 'a', retry: 3000 },
      { event: 'message', data: 'b', retry: 3000 },
      { event: 'message', data: 'c', retry: 3000 },
      { event: 'message', data: 'd', retry: 42 },
    ]);
  });

  it('does not dispatch a block without data, and forgets its event type', () => {
    expect(events('event: ping\n\ndata: a\n\n')).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('drops an event the body ends in the middle of, and an unended last line', () => {
    const out = run(body('data: a\n\ndata: b\n'), sse());
    expect(out.values).toEqual([{ event: 'message', data: 'a' }]);
    expect(out.completed).toBeTrue();
    expect(events('data: a\n\ndata: b\n\ndata: c')).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
  });

  it('decodes UTF-8 split across data events', () => {
    const bytes = Buffer.from('data: 😀 é\n\n', 'utf8');
    expect(run(body(bytes, [...bytes.keys()]), sse()).values).toEqual([{ event: 'message', data: '😀 é' }]);
  });

  it("passes the source's error through after the events before it", () => {
    const failure = new Error('lost');
    const out = run(
      concat(
        body('data: a\n\ndata: b\n'),
        throwError(() => failure),
      ),
      sse(),
    );
    expect(out.values).toEqual([{ event: 'message', data: 'a' }]);
    expect(out.error).toBe(failure);
  });

  it('errors with InvalidResponse naming maxLineLength for a longer line, and lets the request go', () => {
    const source = new Subject<ResponseEvent>();
    let error: unknown;
    source.pipe(sse({ maxLineLength: 8 })).subscribe({ error: (e) => (error = e) });
    source.next(head());
    source.next(data('data: 12'));
    expect(error).toBeUndefined();
    source.next(data('3'));
    expect(error).toBeInstanceOf(InvalidResponse);
    expect((error as Error).message).toContain('maxLineLength (8)');
    expect(source.observed).toBeFalse();
  });

  it("errors with InvalidResponse naming maxEventSize when one event's data grows past it", () => {
    const ok = run(body('data: 12345\ndata: 12\n\n'), sse({ maxEventSize: 8 }));
    expect(ok.values).toEqual([{ event: 'message', data: '12345\n12' }]);
    const out = run(body('data: 12345\ndata: 123\n\n'), sse({ maxEventSize: 8 }));
    expect(out.values).toEqual([]);
    expect(out.error).toBeInstanceOf(InvalidResponse);
    expect((out.error as Error).message).toContain('maxEventSize (8)');
    // The bound is per event: many small events are fine.
    expect(run(body('data: 12345\n\n'.repeat(10)), sse({ maxEventSize: 8 })).values.length).toBe(10);
    expect(() => sse({ maxEventSize: -1 })).toThrowError(RangeError, /maxEventSize/);
  });

  it('gives the same events however the stream is cut (property)', () => {
    const text = fc.array(fc.constantFrom('a', 'z', ' ', 'é', '😀', ':'), { maxLength: 6 }).map((cs) => cs.join(''));
    const block = fc.record({
      event: fc.option(fc.constantFrom('add', 'remove', 'x y'), { nil: undefined }),
      lines: fc.array(text, { minLength: 1, maxLength: 3 }),
      id: fc.option(fc.stringMatching(/^[0-9a-z]{1,4}$/), { nil: undefined }),
      comment: fc.boolean(),
    });
    const eol = fc.constantFrom('\n', '\r', '\r\n');
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 6 }),
        fc.array(eol, { minLength: 40, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (blocks, ends, cuts) => {
          let n = 0;
          let previous = '';
          const line = (s: string) => {
            let end = ends[n++ % ends.length];
            // CR then an empty line ended by LF would be one CRLF, not two line ends.
            if (s === '' && previous === '\r' && end === '\n') end = '\r\n';
            previous = end;
            return s + end;
          };
          let stream = '';
          const expected: ServerSentEvent[] = [];
          let lastId: string | undefined;
          for (const b of blocks) {
            if (b.comment) stream += line(': keep-alive');
            if (b.event !== undefined) stream += line(`event: ${b.event}`);
            if (b.id !== undefined) stream += line(`id: ${b.id}`);
            for (const l of b.lines) stream += line(`data: ${l}`);
            stream += line('');
            lastId = b.id ?? lastId;
            const event: { event: string; data: string; id?: string } = { event: b.event ?? 'message', data: b.lines.join('\n') };
            if (lastId !== undefined) event.id = lastId;
            expected.push(event);
          }
          const bytes = Buffer.from(stream, 'utf8');
          const out = run(
            body(
              bytes,
              cuts.map((c) => c % (bytes.length + 1)),
            ),
            sse(),
          );
          assert.equal(out.error, undefined);
          assert.deepEqual(out.values, expected);
          assert.deepEqual(run(body(bytes, [...bytes.keys()]), sse()).values, expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('on a connection', () => {
    let server: ScriptServer | undefined;
    let conn: HttpConnection | undefined;
    afterEach(() => tearDown(conn, server));

    it('parses a chunked event stream written in pieces across the wire', async () => {
      const stream = 'retry: 500\n\n: hi\r\nid: 1\r\nevent: tick\r\ndata: one\r\n\r\ndata: two\rdata: lines\r\r';
      const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        const head = 'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
        await c.write(head + chunk(stream.slice(0, 20)) + chunk(stream.slice(20)) + '0\r\n\r\n', {
          split: [head.length + 3, head.length + 30, head.length + 47],
        });
        await c.end();
      });
      conn = new HttpConnection(server.url);
      const outcome = await settle(conn.request('GET', '/events', { timeout: 0 }).pipe(sse()));
      expect(outcome.completed).toBeTrue();
      expect(outcome.values).toEqual([
        { event: 'tick', data: 'one', id: '1', retry: 500 },
        { event: 'message', data: 'two\nlines', id: '1', retry: 500 },
      ]);
    });
  });
});

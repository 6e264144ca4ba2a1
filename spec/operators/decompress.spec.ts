import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { Subject, concat, from, of, throwError, type Observable } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { InvalidResponse, UnsupportedResponse } from '../../lib/errors';
import type { DataEvent, HeadEvent, ResponseEvent } from '../../lib/events';
import { HttpHeaders } from '../../lib/headers';
import { decompress } from '../../lib/operators/decompress';
import { lines } from '../../lib/operators/lines';
import { readAll } from '../../lib/operators/readAll';
import { tearDown } from '../support/fixture';
import { settle, type Outcome } from '../support/observe';
import { ScriptServer } from '../support/script-server';

const head = (fields: string[]): HeadEvent => ({
  type: 'head',
  status: 200,
  reason: 'OK',
  version: '1.1',
  headers: new HttpHeaders(fields),
});
const noPause = () => () => undefined;
const data = (piece: Uint8Array, pause: () => () => void = noPause): DataEvent => ({ type: 'data', data: piece, pause });

/** A response with `Content-Encoding: coding` (none when null) whose body is `bytes` cut at `cuts`. */
function encoded(coding: string | null, bytes: Uint8Array, cuts: number[] = []): Observable<ResponseEvent> {
  const fields = ['Content-Type', 'text/plain', 'Content-Length', String(bytes.length)];
  if (coding !== null) fields.splice(2, 0, 'Content-Encoding', coding);
  const at = [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const pieces = bytes.length === 0 ? [] : [0, ...at].map((start, i) => data(bytes.subarray(start, at[i] ?? bytes.length)));
  return from<ResponseEvent[]>([head(fields), ...pieces]);
}

/** The decoded body of an outcome, and the event types in order. */
function decoded(outcome: Outcome<ResponseEvent>): { body: string; types: string[] } {
  const pieces = outcome.values.flatMap((e) => (e.type === 'data' ? [Buffer.from(e.data)] : []));
  const types = outcome.values.map((e) => e.type).filter((t, i, all) => t !== 'data' || all[i - 1] !== 'data');
  return { body: Buffer.concat(pieces).toString('utf8'), types };
}

const text = 'The quick brown fox jumps over the lazy dog. '.repeat(200) + 'é😀';
const plain = Buffer.from(text, 'utf8');

describe('decompress()', () => {
  const cases: Array<[string, (b: Buffer) => Buffer]> = [
    ['gzip', zlib.gzipSync],
    ['x-gzip', zlib.gzipSync],
    ['GZip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['br', zlib.brotliCompressSync],
    ['identity', (b) => b],
  ];
  for (const [coding, encode] of cases) {
    it(`decodes Content-Encoding: ${coding}`, async () => {
      const outcome = await settle(encoded(coding, encode(plain), [1, 2, 10, 100]).pipe(decompress()));
      expect(outcome.completed).toBeTrue();
      expect(decoded(outcome).body).toBe(text);
    });
  }

  it('decodes raw deflate too, when the body does not start with a zlib header (as browsers do)', async () => {
    const raw = zlib.deflateRawSync(plain);
    const outcome = await settle(encoded('deflate', raw, [1, 2, 3]).pipe(decompress()));
    expect(outcome.error).toBeUndefined();
    expect(decoded(outcome).body).toBe(text);
  });

  it('undoes several codings in reverse order of their listing', async () => {
    // gzip applied first, then br: decode br, then gzip.
    const twice = zlib.brotliCompressSync(zlib.gzipSync(plain));
    const outcome = await settle(encoded('gzip, br', twice, [5]).pipe(decompress()));
    expect(decoded(outcome).body).toBe(text);
    // The same as two field lines, with identity among them.
    const fields = ['Content-Encoding', 'deflate', 'Content-Encoding', 'identity, gzip'];
    const two = from<ResponseEvent[]>([head(fields), data(zlib.gzipSync(zlib.deflateSync(plain)))]);
    expect(decoded(await settle(two.pipe(decompress()))).body).toBe(text);
  });

  it('passes the events through as they are without Content-Encoding', async () => {
    const events: ResponseEvent[] = [head(['Content-Length', '3'])];
    events.push(data(Buffer.from('abc')), { type: 'trailers', headers: new HttpHeaders(['X', 'y']) });
    const outcome = await settle(from(events).pipe(decompress()));
    expect(outcome.values.length).toBe(3);
    outcome.values.forEach((event, i) => expect(event).toBe(events[i]));
  });

  it('emits a head without Content-Encoding and Content-Length, the other fields kept in order', async () => {
    const outcome = await settle(encoded('gzip', zlib.gzipSync(plain)).pipe(decompress()));
    const first = outcome.values[0] as HeadEvent;
    expect(first.type).toBe('head');
    expect(first.status).toBe(200);
    expect([...first.headers]).toEqual([['Content-Type', 'text/plain']]);
  });

  it('emits interim responses, the head, the decoded data, then the trailers, in that order', async () => {
    const events: ResponseEvent[] = [
      { type: 'informational', status: 103, reason: 'Early Hints', headers: new HttpHeaders([]) },
      head(['Content-Encoding', 'gzip']),
      data(zlib.gzipSync(plain)),
      { type: 'trailers', headers: new HttpHeaders(['Digest', 'x']) },
    ];
    const outcome = await settle(from(events).pipe(decompress()));
    expect(decoded(outcome).types).toEqual(['informational', 'head', 'data', 'trailers']);
    expect(outcome.completed).toBeTrue();
  });

  it('is live: what is decoded so far comes out before the body has ended', async () => {
    const source = new Subject<ResponseEvent>();
    const seen: string[] = [];
    let completed = false;
    let ended: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const gotData = new Promise<void>((resolve) =>
      source.pipe(decompress()).subscribe({
        next: (e) => e.type === 'data' && (seen.push(Buffer.from(e.data).toString()), resolve()),
        complete: () => ((completed = true), ended()),
      }),
    );
    source.next(head(['Content-Encoding', 'gzip']));
    // Two gzip members: the first decodes whole before the second arrives.
    source.next(data(zlib.gzipSync('first part, ')));
    await gotData;
    expect(seen.join('')).toBe('first part, ');
    expect(completed).toBeFalse();
    source.next(data(zlib.gzipSync('second part')));
    source.complete();
    await done;
    expect(seen.join('')).toBe('first part, second part');
    expect(completed).toBeTrue();
  });

  it('gives no byte for a body with no byte (a HEAD or 304 answer), without an error', async () => {
    for (const coding of ['gzip', 'deflate', 'br', 'gzip, br']) {
      const outcome = await settle(encoded(coding, Buffer.alloc(0)).pipe(decompress()));
      expect(outcome.error).withContext(coding).toBeUndefined();
      expect(decoded(outcome).types).toEqual(['head']);
    }
  });

  it('errors with UnsupportedResponse naming an unknown coding, before emitting the head', async () => {
    const outcome = await settle(encoded('gzip, compress', Buffer.from('x')).pipe(decompress()));
    expect(outcome.values).toEqual([]);
    expect(outcome.error).toBeInstanceOf(UnsupportedResponse);
    expect((outcome.error as Error).message).toContain('"compress"');
  });

  it('errors with InvalidResponse on truncated data, never completing with a short body', async () => {
    const cases: Array<[string, Buffer]> = [
      ['gzip', zlib.gzipSync(plain)],
      ['deflate', zlib.deflateSync(plain)],
      ['deflate', zlib.deflateRawSync(plain)],
      ['br', zlib.brotliCompressSync(plain)],
    ];
    for (const [coding, whole] of cases) {
      for (const length of [1, 2, Math.floor(whole.length / 2), whole.length - 1]) {
        const outcome = await settle(encoded(coding, whole.subarray(0, length)).pipe(decompress()));
        expect(outcome.completed).withContext(`${coding} cut to ${length} of ${whole.length}`).toBeFalse();
        expect(outcome.error).withContext(`${coding} cut to ${length}`).toBeInstanceOf(InvalidResponse);
      }
    }
  });

  it("errors with InvalidResponse, with zlib's error as cause, on corrupt data", async () => {
    const corrupt = zlib.gzipSync(plain);
    corrupt[20] ^= 0xff;
    for (const [coding, bytes] of [
      ['gzip', corrupt],
      ['gzip', Buffer.from('not gzip at all')],
      ['br', Buffer.from('not brotli at all')],
    ] as const) {
      const outcome = await settle(encoded(coding, bytes).pipe(decompress()));
      expect(outcome.error).withContext(coding).toBeInstanceOf(InvalidResponse);
      expect((outcome.error as Error).cause)
        .withContext(coding)
        .toBeInstanceOf(Error);
    }
  });

  it("passes the source's error through", async () => {
    const failure = new Error('lost');
    const outcome = await settle(
      concat(
        encoded('gzip', zlib.gzipSync(plain).subarray(0, 30)),
        throwError(() => failure),
      ).pipe(decompress()),
    );
    expect(outcome.error).toBe(failure);
  });

  describe('maxResponseSize', () => {
    it('stops a decompression bomb at the limit with InvalidResponse naming it', async () => {
      const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in about 64 KiB
      expect(bomb.length).toBeLessThan(100 * 1024);
      let emitted = 0;
      const outcome = await settle(encoded('gzip', bomb, [1000, 2000]).pipe(decompress({ maxResponseSize: 1024 * 1024 })), 10_000);
      for (const e of outcome.values) if (e.type === 'data') emitted += e.data.length;
      expect(outcome.error).toBeInstanceOf(InvalidResponse);
      expect((outcome.error as Error).message).toContain('maxResponseSize (1048576)');
      expect(emitted).toBeLessThanOrEqual(1024 * 1024);
    });

    it('takes a body of exactly the limit, and bounds an identity body too', async () => {
      const exact = await settle(encoded('br', zlib.brotliCompressSync(plain)).pipe(decompress({ maxResponseSize: plain.length })));
      expect(decoded(exact).body).toBe(text);
      const over = await settle(encoded('br', zlib.brotliCompressSync(plain)).pipe(decompress({ maxResponseSize: plain.length - 1 })));
      expect(over.error).toBeInstanceOf(InvalidResponse);
      const identity = await settle(encoded(null, plain, [10]).pipe(decompress({ maxResponseSize: 10 })));
      expect(identity.error).toBeInstanceOf(InvalidResponse);
      expect(() => decompress({ maxResponseSize: -1 })).toThrowError(RangeError, /maxResponseSize/);
    });
  });

  describe('backpressure', () => {
    /** A pause spy that records which pauses are still held. */
    function pauses() {
      let held = 0;
      let taken = 0;
      const pause = () => {
        held++;
        taken++;
        let lifted = false;
        return () => {
          if (!lifted) held--;
          lifted = true;
        };
      };
      return { pause, held: () => held, taken: () => taken };
    }

    it("gives emitted data events a pause() that holds the decoder and the source's connection until lifted", async () => {
      const source = pauses();
      const big = Buffer.alloc(1024 * 1024, 'abcdefgh');
      const events = from<ResponseEvent[]>([head(['Content-Encoding', 'gzip']), data(zlib.gzipSync(big), source.pause)]);
      let pieces = 0;
      let size = 0;
      let resume: (() => void) | null = null;
      let completed = false;
      let ended: () => void;
      const done = new Promise<void>((resolve) => (ended = resolve));
      const firstPiece = new Promise<void>((resolve) =>
        events.pipe(decompress()).subscribe({
          next(e) {
            if (e.type !== 'data') return;
            pieces++;
            size += e.data.length;
            if (pieces === 1) {
              resume = e.pause();
              resolve();
            }
          },
          complete: () => ((completed = true), ended()),
        }),
      );
      await firstPiece;
      expect(source.held()).toBe(1);
      // Paused: however long we wait, no more is decoded out.
      for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      expect(pieces).toBe(1);
      expect(completed).toBeFalse();
      resume!();
      expect(source.held()).toBe(0);
      await done;
      expect(size).toBe(big.length);
    });

    it('pauses the source while the decoder has more input than it takes, and lifts it when drained', async () => {
      const source = pauses();
      const random = zlib.gzipSync(randomBytes(256 * 1024)); // incompressible: as many bytes in as out
      const events = new Subject<ResponseEvent>();
      const outcome = settle(events.pipe(decompress()), 10_000);
      events.next(head(['Content-Encoding', 'gzip']));
      let at = 0;
      for (; at < random.length && source.held() === 0; at += 4096) events.next(data(random.subarray(at, at + 4096), source.pause));
      expect(source.held()).toBe(1);
      // Lifted once the decoder has taken its input, with the body not over yet.
      while (source.held() > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      for (; at < random.length; at += 4096) events.next(data(random.subarray(at, at + 4096), source.pause));
      events.complete();
      expect((await outcome).completed).toBeTrue();
      expect(source.held()).toBe(0);
    });
  });

  it('decodes the same bytes however the body is cut (property)', async () => {
    const encoders: Record<string, (b: Buffer) => Buffer> = {
      gzip: zlib.gzipSync,
      deflate: zlib.deflateSync,
      'deflate raw': zlib.deflateRawSync,
      br: zlib.brotliCompressSync,
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(encoders)),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (coding, body, cuts) => {
          const bytes = encoders[coding](Buffer.from(body.repeat(3), 'utf8'));
          const outcome = await settle(
            encoded(
              coding.split(' ')[0],
              bytes,
              cuts.map((c) => c % (bytes.length + 1)),
            ).pipe(decompress()),
          );
          assert.equal(outcome.error, undefined);
          assert.equal(decoded(outcome).body, body.repeat(3));
        },
      ),
      { numRuns: 100 },
    );
    // And one byte per data event.
    const bytes = zlib.gzipSync(plain);
    expect(decoded(await settle(encoded('gzip', bytes, [...bytes.keys()]).pipe(decompress()))).body).toBe(text);
  });

  it('feeds lines() with decoded text', async () => {
    const outcome = await settle(
      of<ResponseEvent[]>(head(['Content-Encoding', 'gzip']), data(zlib.gzipSync('a\nb\r\nc'))).pipe(decompress(), lines()),
    );
    expect(outcome.values).toEqual(['a', 'b', 'c']);
  });

  describe('on a connection', () => {
    let server: ScriptServer | undefined;
    let conn: HttpConnection | undefined;
    afterEach(() => tearDown(conn, server));

    it('decodes a gzip body written in pieces across the wire', async () => {
      const gz = zlib.gzipSync(plain);
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        const headText = `HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\nVary: Accept-Encoding\r\n\r\n`;
        await c.write(Buffer.concat([Buffer.from(headText, 'latin1'), gz]), {
          split: [headText.length + 1, headText.length + 11, headText.length + 200],
        });
        await c.end();
      });
      conn = new HttpConnection(server.url);
      const res = (await settle(conn.request('GET', '/', { headers: { 'accept-encoding': 'gzip' } }).pipe(decompress(), readAll())))
        .values[0];
      expect(res.text()).toBe(text);
      expect(res.headers.has('content-encoding')).toBeFalse();
      expect(res.headers.has('content-length')).toBeFalse();
      expect(res.headers.get('vary')).toBe('Accept-Encoding');
    });
  });
});

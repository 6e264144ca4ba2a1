import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { Subject, from } from 'rxjs';
import type { DataEvent, HeadEvent, ResponseEvent } from '../../lib/events';
import { HttpHeaders } from '../../lib/headers';
import { readAll } from '../../lib/operators/readAll';
import type { HttpResponse } from '../../lib/response';

// How readAll() holds a body while it arrives (issue 16): one buffer, not a view per piece.

const head: HeadEvent = { type: 'head', status: 200, reason: 'OK', version: '1.1', headers: new HttpHeaders([]) };
const data = (piece: Uint8Array): DataEvent => ({ type: 'data', data: piece, pause: () => () => undefined });

function read(pieces: Uint8Array[]): HttpResponse {
  let res: HttpResponse | undefined;
  from<ResponseEvent[]>([head, ...pieces.map(data)])
    .pipe(readAll())
    .subscribe((r) => (res = r));
  return res!;
}

/** Sends `n` pieces of 1 KiB, each with its own ArrayBuffer, and returns weak references to them. */
function feed(source: Subject<ResponseEvent>, n: number): Array<WeakRef<Uint8Array>> {
  const refs: Array<WeakRef<Uint8Array>> = [];
  for (let i = 0; i < n; i++) {
    const piece = new Uint8Array(1024).fill(i % 256);
    refs.push(new WeakRef(piece));
    source.next(data(piece));
  }
  return refs;
}

/** V8's collector, for checking what is still referenced. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('readAll() memory', () => {
  it('keeps a body that came in one piece as that piece, uncopied', () => {
    const piece = Buffer.from('the whole body');
    expect(read([piece]).body).toBe(piece);
    expect(read([Buffer.alloc(0), piece, Buffer.alloc(0)]).body).toBe(piece);
  });

  it('joins many pieces in order, and gives an empty body for none', () => {
    const bytes = Buffer.from('0123456789abcdef'.repeat(1000));
    const pieces = [];
    for (let at = 0, size = 1; at < bytes.length; at += size, size = ((size * 3) % 17) + 1) pieces.push(bytes.subarray(at, at + size));
    expect(Buffer.from(read(pieces).body).equals(bytes)).toBeTrue();
    expect(read([]).body.length).toBe(0);
  });

  it('does not keep the pieces it was given: they can be collected while the body is still arriving', async () => {
    const gc = collector();
    const source = new Subject<ResponseEvent>();
    let res: HttpResponse | undefined;
    source.pipe(readAll()).subscribe((r) => (res = r));
    source.next(head);
    // Fed from a plain function: a suspended async one would hold its last piece itself.
    const refs = feed(source, 1000);
    // WeakRefs keep their targets until the current job ends.
    await new Promise<void>((resolve) => setImmediate(resolve));
    gc();
    expect(refs.flatMap((ref, i) => (ref.deref() !== undefined ? [i] : []))).toEqual([]);
    source.complete();
    expect(res!.body.length).toBe(1024 * 1000);
    expect(res!.body[1024 * 999]).toBe(999 % 256);
  });

  it('costs about the body size whatever the cutting: 100,000 one-byte pieces leave at most a quarter unused', () => {
    const bytes = Buffer.alloc(100_000, 'z');
    const pieces = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const body = read(pieces).body;
    expect(body.length).toBe(100_000);
    expect(body.buffer.byteLength).toBeLessThanOrEqual(125_000);
    expect(Buffer.from(body).equals(bytes)).toBeTrue();
  });

  it('gives the same bytes however the body is cut (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const pieces = [0, ...at].map((start, i) => bytes.subarray(start, at[i] ?? bytes.length));
        assert.deepEqual(Buffer.from(read(pieces).body), Buffer.from(bytes));
      }),
      { numRuns: 200 },
    );
  });
});

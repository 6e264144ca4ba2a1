import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import { InvalidResponse, UnsupportedResponse } from '../errors';
import type { DataEvent, HeadEvent, ResponseEvent } from '../events';
import { HttpHeaders } from '../headers';

/** decompress()'s limit. */
export interface DecompressOptions {
  /**
   * Decoded body bytes allowed (and bytes between two codings, when there
   * are several); past it, InvalidResponse naming the limit, and decoding
   * stops there (zlib works in 16 KiB pieces: it may have decoded one more,
   * never emitted). Unlimited when absent, as the connection's option is: set it
   * for servers you do not trust, since a few KiB of gzip can decode to GiBs.
   */
  maxResponseSize?: number;
}

/** A content coding httpio decodes: RFC 9110 §8.4.1. */
type Coding = 'gzip' | 'deflate' | 'br';

/**
 * Decodes the body of a response by its `Content-Encoding` (RFC 9110 §8.4):
 * `gzip` (and `x-gzip`), `deflate` (zlib-wrapped as the RFC says, or raw
 * deflate when the body does not start with a zlib header, as browsers
 * accept), `br`; several codings (`gzip, br`) are undone in reverse order;
 * `identity` or no header passes the events through as they are. An unknown
 * coding errors with UnsupportedResponse naming it.
 *
 * Emits the same events with the decoded bytes in the data events, as they
 * come out of node:zlib (live, never the whole body at once), and a head
 * whose headers are the received ones without `Content-Encoding` and
 * `Content-Length`, which describe the bytes on the wire, not the ones
 * emitted. Trailers follow the last decoded byte. A body with no byte at all
 * (a HEAD or 304 answer) decodes to no byte.
 *
 * Truncated or corrupt data errors with InvalidResponse (`cause`: zlib's
 * error), never a short body. Each emitted data event's pause() holds back
 * both the decoder and the connection; the connection is also paused while
 * the decoder's input is full.
 *
 * @example
 * conn.request('GET', '/logs.ndjson', { headers: { 'accept-encoding': 'gzip, br' } })
 *   .pipe(decompress({ maxResponseSize: 100 * 1024 * 1024 }), ndjson())
 *   .subscribe((entry) => console.log(entry));
 */
export function decompress(options: DecompressOptions = {}): OperatorFunction<ResponseEvent, ResponseEvent> {
  const limit = options.maxResponseSize ?? Infinity;
  if (typeof limit !== 'number' || !(limit >= 0) || (!Number.isInteger(limit) && limit !== Infinity)) {
    throw new RangeError(`decompress(): option maxResponseSize must be an integer >= 0, got ${String(limit)}`);
  }
  return (source) =>
    new Observable<ResponseEvent>((subscriber) => {
      /** The decoders once the head named codings; null while passing through. */
      let chain: DecoderChain | null = null;
      /** Identity bodies count against the limit too. */
      let passed = 0;
      const fail = (err: unknown) => {
        chain?.destroy();
        subscriber.error(err);
      };
      const subscription = source.subscribe({
        next(event) {
          // A synchronous source keeps calling after an error or an unsubscribe from downstream.
          if (subscriber.closed) return;
          if (chain !== null) {
            if (event.type === 'data') chain.write(event);
            else if (event.type === 'trailers') chain.trailers = event;
            else subscriber.next(event);
            return;
          }
          if (event.type === 'head') {
            let codings: Coding[];
            try {
              codings = parseCodings(event.headers.getAll('content-encoding'));
            } catch (err) {
              return fail(err);
            }
            if (codings.length > 0) {
              chain = new DecoderChain(codings.reverse(), limit, subscriber, fail);
              subscriber.next(decodedHead(event));
              return;
            }
          } else if (event.type === 'data') {
            passed += event.data.length;
            if (passed > limit) return fail(tooLarge(limit));
          }
          subscriber.next(event);
        },
        error: fail,
        complete() {
          if (chain === null) subscriber.complete();
          else chain.end();
        },
      });
      return () => {
        subscription.unsubscribe();
        chain?.destroy();
      };
    });
}

/** The codings of `Content-Encoding` field lines, in the order they were applied; identity dropped. */
function parseCodings(fields: string[]): Coding[] {
  const codings: Coding[] = [];
  for (const field of fields) {
    for (const part of field.split(',')) {
      const name = part.trim().toLowerCase();
      if (name === '' || name === 'identity') continue;
      // RFC 9110 §8.4.1.3: x-gzip is an alias of gzip.
      if (name === 'gzip' || name === 'x-gzip') codings.push('gzip');
      else if (name === 'deflate' || name === 'br') codings.push(name);
      else throw new UnsupportedResponse(`decompress(): unknown Content-Encoding ${JSON.stringify(part.trim())}`);
    }
  }
  return codings;
}

/** The head with the fields that described the encoded body removed. */
function decodedHead(head: HeadEvent): HeadEvent {
  const raw: string[] = [];
  for (const [name, value] of head.headers) {
    const lower = name.toLowerCase();
    if (lower !== 'content-encoding' && lower !== 'content-length') raw.push(name, value);
  }
  return { ...head, headers: new HttpHeaders(raw) };
}

function tooLarge(limit: number): InvalidResponse {
  return new InvalidResponse(`decompress(): the decoded body is larger than maxResponseSize (${limit})`);
}

/** A zlib header (RFC 1950 §2.2): method 8 (deflate), window ≤ 32 KiB, and a check that makes CMF·256+FLG a multiple of 31. */
function isZlibHeader(cmf: number, flg: number): boolean {
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

/** One coding's decoder and what went through it. */
interface Stage {
  readonly coding: Coding;
  /** Null until its first byte comes; for deflate, until its first two show which decoder to use. */
  stream: Transform | null;
  /** A deflate stage's first byte while it waits for the second. */
  seen: Buffer[];
  /** Bytes given to it. */
  bytes: number;
  /** Bytes it has put out, for the limit. */
  out: number;
}

/**
 * One decoder per coding, in decoding order, each feeding the next; the
 * last one's output is emitted. A `deflate` decoder is made once its first
 * two bytes show whether they are a zlib header.
 */
class DecoderChain {
  /** One per coding, in decoding order. */
  private readonly stages: Stage[];
  /** The trailers, held until the last decoded byte is out. */
  trailers: ResponseEvent | null = null;
  /** The latest source data event: emitted events delegate their pause() to it. */
  private latest: DataEvent | null = null;
  /** Lifts the pause taken while the first decoder's input is full; null when none is held. */
  private inputHold: (() => void) | null = null;
  /** Pauses downstream holds on the last decoder, not yet lifted. */
  private holds = 0;
  private done = false;

  constructor(
    codings: Coding[],
    private readonly limit: number,
    private readonly subscriber: Subscriber<ResponseEvent>,
    private readonly fail: (err: unknown) => void,
  ) {
    this.stages = codings.map((coding) => ({ coding, stream: null, seen: [], bytes: 0, out: 0 }));
  }

  write(event: DataEvent): void {
    this.latest = event;
    if (event.data.length === 0) return;
    if (!this.feed(0, event.data) && this.inputHold === null) {
      this.inputHold = event.pause();
      this.stages[0].stream!.once('drain', () => this.liftInput());
    }
  }

  /** The source ended: end the first decoder; each one's end ends the next. */
  end(): void {
    this.finish(0);
  }

  /** Stops everything; idempotent. */
  destroy(): void {
    this.done = true;
    this.liftInput();
    for (const stage of this.stages) stage.stream?.destroy();
  }

  private liftInput(): void {
    const held = this.inputHold;
    this.inputHold = null;
    held?.();
  }

  /** Gives stage `i` bytes; false when its input is full. */
  private feed(i: number, bytes: Uint8Array): boolean {
    const stage = this.stages[i];
    stage.bytes += bytes.length;
    if (stage.stream === null) {
      if (stage.coding === 'deflate' && stage.bytes < 2) {
        stage.seen.push(Buffer.from(bytes));
        return true;
      }
      const first = stage.seen.length > 0 ? Buffer.concat([...stage.seen, bytes]) : bytes;
      stage.seen = [];
      stage.stream = this.open(i, first);
      return stage.stream.write(first);
    }
    return stage.stream.write(bytes);
  }

  private open(i: number, first: Uint8Array): Transform {
    const coding = this.stages[i].coding;
    const stream =
      coding === 'gzip'
        ? zlib.createGunzip()
        : coding === 'br'
          ? zlib.createBrotliDecompress()
          : isZlibHeader(first[0], first[1])
            ? zlib.createInflate()
            : zlib.createInflateRaw();
    const last = i === this.stages.length - 1;
    stream.on('error', (err: Error) => {
      if (!this.done) this.fail(new InvalidResponse(`decompress(): the ${coding} data is ${describe(err)}`, { cause: err }));
    });
    stream.on('data', (out: Buffer) => {
      if (this.done) return;
      const stage = this.stages[i];
      stage.out += out.length;
      if (stage.out > this.limit) return this.fail(tooLarge(this.limit));
      if (last) return this.emit(out);
      // Between codings: hold this decoder back while the next one's input is full.
      if (!this.feed(i + 1, out)) {
        stream.pause();
        this.stages[i + 1].stream!.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => this.finish(i + 1));
    return stream;
  }

  /** Stage `i` has all its input (`i` past the last: everything is decoded). */
  private finish(i: number): void {
    if (this.done) return;
    if (i === this.stages.length) {
      this.done = true;
      if (this.trailers !== null) this.subscriber.next(this.trailers);
      this.subscriber.complete();
      return;
    }
    const stage = this.stages[i];
    if (stage.stream !== null) stage.stream.end();
    // A deflate stream cannot be one byte long; a coding given no byte decodes to none.
    else if (stage.bytes > 0) this.fail(new InvalidResponse(`decompress(): the ${stage.coding} data is truncated (${stage.bytes} byte)`));
    else this.finish(i + 1);
  }

  private emit(out: Buffer): void {
    const event: DataEvent = { type: 'data', data: out, pause: () => this.pause() };
    this.subscriber.next(event);
  }

  /** A downstream pause: holds the last decoder and the connection until lifted. */
  private pause(): () => void {
    const stream = this.stages[this.stages.length - 1].stream;
    if (this.holds++ === 0) stream?.pause();
    const lift = this.latest?.pause();
    let lifted = false;
    return () => {
      if (lifted) return;
      lifted = true;
      lift?.();
      if (--this.holds === 0 && !this.done) stream?.resume();
    };
  }
}

/** zlib's error in words a reader of the message wants. */
function describe(err: Error & { code?: string }): string {
  return err.code === 'Z_BUF_ERROR' ? `truncated (${err.message})` : `corrupt (${err.message})`;
}

import { isObservable, type Subscription } from 'rxjs';
import { RequestError } from '../errors';
import type { BodyStream } from '../http1/serializer';
import type { Wire } from '../transport/socket';

/**
 * An Observable cannot be paused, so while the socket is full its values are
 * queued in the socket's buffer; past this many bytes the request fails
 * rather than let memory grow with the source. An AsyncIterable is pulled
 * only as fast as the socket drains, and needs no such limit.
 */
export const MAX_OBSERVABLE_BACKLOG = 16 * 1024 * 1024;

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** AsyncIterables taken by a request: an iterator cannot be rewound, so one is read once. */
const claimed = new WeakSet<object>();

/**
 * Takes `source` for one request; false when another request has it.
 * Reading an AsyncIterable twice would send an empty or partial body, so a
 * retry of a streamed request must build a fresh stream (in `defer()`, say).
 * Observables are not claimed: subscribing again runs them again.
 */
export function claimStream(source: BodyStream): boolean {
  if (isObservable(source)) return true;
  if (claimed.has(source)) return false;
  claimed.add(source);
  return true;
}

/** Gives back a stream whose request ended before reading any of it. */
export function releaseStream(source: BodyStream): void {
  if (!isObservable(source)) claimed.delete(source);
}

/**
 * Writes a streamed body onto the wire, framed with chunked coding
 * (RFC 9112 §7.1) or, when `length` is given, as exactly that many bytes.
 * `done` is called once: with null after the last byte is queued, or with a
 * RequestError (a size mismatch, a failing source). Returns a cancel function
 * that stops reading the source.
 *
 * A piece is never written past `length`: a source that yields too much
 * fails before its excess goes out.
 *
 * @example
 * const cancel = writeBody(fs.createReadStream(path), wire, -1, (err) => err ? fail(err) : sent());
 */
export function writeBody(source: BodyStream, wire: Wire, length: number, done: (err: RequestError | null) => void): () => void {
  let written = 0;
  let finished = false;
  const finish = (err: RequestError | null) => {
    if (finished) return;
    finished = true;
    done(err);
  };

  /** Frames and writes one piece; returns false when the socket is full, null after a failure. */
  const put = (piece: Uint8Array | string): boolean | null => {
    // A synchronous source may go on emitting after a failure, before its
    // subscription exists to be cancelled: nothing more goes out.
    if (finished) return null;
    const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (!(bytes instanceof Uint8Array)) {
      finish(new RequestError(`a body stream yielded ${describe(piece)}: expected Uint8Array or string pieces`));
      return null;
    }
    // An empty chunk would read as the last chunk (RFC 9112 §7.1): skip it.
    if (bytes.length === 0) return true;
    written += bytes.length;
    if (length >= 0) {
      if (written > length) {
        finish(new RequestError(`the body stream yielded more than its contentLength of ${length} bytes`));
        return null;
      }
      return wire.write(bytes);
    }
    wire.write(Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1'));
    wire.write(bytes);
    return wire.write(CRLF);
  };

  const end = () => {
    if (finished) return;
    if (length >= 0 && written !== length) {
      finish(new RequestError(`the body stream ended after ${written} of its contentLength of ${length} bytes`));
      return;
    }
    if (length < 0) wire.write(LAST_CHUNK);
    finish(null);
  };

  const failed = (err: unknown) => {
    finish(new RequestError(`the request body stream failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
  };

  if (isObservable(source)) {
    let subscription: Subscription | undefined;
    subscription = source.subscribe({
      next(piece) {
        if (put(piece) === null) subscription?.unsubscribe();
        else if (wire.buffered > MAX_OBSERVABLE_BACKLOG) {
          failed(new Error(`the Observable body outran the socket by more than ${MAX_OBSERVABLE_BACKLOG} bytes; pass an AsyncIterable (a Node.js Readable is one) to be read only as fast as the socket drains`));
          subscription?.unsubscribe();
        }
      },
      error: failed,
      complete: end,
    });
    if (finished) subscription.unsubscribe();
    return () => {
      finished = true;
      subscription?.unsubscribe();
    };
  }

  const iterator = source[Symbol.asyncIterator]();
  const pull = async () => {
    try {
      for (;;) {
        const step = await iterator.next();
        if (finished) return;
        if (step.done) return end();
        const ok = put(step.value);
        if (ok === null) break;
        // Backpressure: the source is not advanced until the socket drains.
        if (!ok) await new Promise<void>((resolve) => wire.whenDrained(resolve));
        if (finished) break;
      }
    } catch (err) {
      failed(err);
      return;
    }
    await iterator.return?.();
  };
  void pull().catch(failed);
  return () => {
    if (finished) return;
    finished = true;
    // A custom iterator's return() may throw at once: this runs inside socket handlers.
    try {
      void Promise.resolve(iterator.return?.()).catch(() => undefined);
    } catch {
      // The source is abandoned either way.
    }
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

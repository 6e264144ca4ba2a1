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

/** What writeBody() reports of a body. */
export interface BodyReport {
  /**
   * Called once: with null when the body is complete on the wire (the last
   * chunk queued, or `length` bytes written), or with a RequestError when it
   * stopped half-way (a size mismatch, a failing source).
   */
  done(err: RequestError | null): void;
  /**
   * Called at most once, after done(null), when a source with a `length`
   * yields more after its last byte: the extra bytes are not written, so the
   * connection's framing is intact, but the request was not what the caller
   * described.
   */
  overrun(err: RequestError): void;
}

/**
 * Writes a streamed body onto the wire, framed with chunked coding
 * (RFC 9112 §7.1) or, when `length` is given, as exactly that many bytes.
 * Returns a cancel function that stops reading the source.
 *
 * With a `length`, the body is complete once that many bytes are written,
 * even if the source signals its end later (a Node.js file stream does);
 * the source is still read to its end, to catch a source that yields more.
 * A piece is never written past `length`.
 *
 * @example
 * const cancel = writeBody(fs.createReadStream(path), wire, size, { done: (err) => ..., overrun: (err) => ... });
 */
export function writeBody(source: BodyStream, wire: Wire, length: number, report: BodyReport): () => void {
  let written = 0;
  /** done() was called. */
  let complete = false;
  /** Nothing more is read or written: the body failed, overran or was cancelled, or the source ended. */
  let stopped = false;
  const finish = (err: RequestError | null) => {
    if (complete) return;
    complete = true;
    if (err !== null) stopped = true;
    report.done(err);
  };
  const overran = () => {
    stopped = true;
    report.overrun(
      new RequestError(`the body stream yielded more than its contentLength of ${length} bytes; the extra bytes were not sent`),
    );
  };

  /** Frames and writes one piece; returns false when the socket is full, null once nothing more is to be read. */
  const put = (piece: Uint8Array | string): boolean | null => {
    // A synchronous source may go on emitting after a failure, before its
    // subscription exists to be cancelled: nothing more goes out.
    if (stopped) return null;
    const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    if (!(bytes instanceof Uint8Array)) {
      if (complete) overran();
      else finish(new RequestError(`a body stream yielded ${describe(piece)}: expected Uint8Array or string pieces`));
      return null;
    }
    // An empty chunk would read as the last chunk (RFC 9112 §7.1): skip it.
    if (bytes.length === 0) return true;
    if (length >= 0) {
      if (complete) {
        overran();
        return null;
      }
      if (written + bytes.length > length) {
        finish(new RequestError(`the body stream yielded more than its contentLength of ${length} bytes`));
        return null;
      }
      written += bytes.length;
      const room = wire.write(bytes);
      if (written === length) finish(null);
      return room;
    }
    written += bytes.length;
    wire.write(Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1'));
    wire.write(bytes);
    return wire.write(CRLF);
  };

  const end = () => {
    if (stopped) return;
    stopped = true;
    if (complete) return;
    if (length >= 0 && written !== length) {
      finish(new RequestError(`the body stream ended after ${written} of its contentLength of ${length} bytes`));
      return;
    }
    if (length < 0) wire.write(LAST_CHUNK);
    finish(null);
  };

  const failed = (err: unknown) => {
    // After the last byte, the source's troubles are no longer the request's.
    if (complete) {
      stopped = true;
      return;
    }
    finish(new RequestError(`the request body stream failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
  };

  if (length === 0) finish(null);

  if (isObservable(source)) {
    // A synchronous source emits before subscribe() returns, when there is
    // no subscription to cancel yet: the flag stops it then, and the
    // subscription is cancelled as soon as it exists.
    const held: { subscription?: Subscription } = {};
    held.subscription = source.subscribe({
      next(piece) {
        if (put(piece) === null) held.subscription?.unsubscribe();
        else if (wire.buffered > MAX_OBSERVABLE_BACKLOG && !complete) {
          failed(
            new Error(
              `the Observable body outran the socket by more than ${MAX_OBSERVABLE_BACKLOG} bytes; pass an AsyncIterable (a Node.js Readable is one) to be read only as fast as the socket drains`,
            ),
          );
          held.subscription?.unsubscribe();
        }
      },
      error: failed,
      complete: end,
    });
    if (stopped) held.subscription.unsubscribe();
    return () => {
      stopped = true;
      held.subscription?.unsubscribe();
    };
  }

  const iterator = source[Symbol.asyncIterator]();
  const pull = async () => {
    try {
      for (;;) {
        const step = await iterator.next();
        if (stopped) return;
        if (step.done) return end();
        const room = put(step.value);
        if (room === null) break;
        // Backpressure: the source is not advanced until the socket drains.
        // A complete body no longer needs the socket, only the source's end.
        if (!room && !complete) await new Promise<void>((resolve) => wire.whenDrained(resolve));
        if (stopped) break;
      }
    } catch (err) {
      failed(err);
      return;
    }
    await iterator.return?.();
  };
  void pull().catch(failed);
  return () => {
    if (stopped) return;
    stopped = true;
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

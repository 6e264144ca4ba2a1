import type { Subscriber } from 'rxjs';
import type { RequestError } from '../errors';
import type { ResponseEvent } from '../events';
import type { SerializedRequest } from '../http1/serializer';
import type { Wire } from '../transport/socket';
import { writeBody } from './body';

/** One request from subscribe to its end, and the state of its body on the wire. */
export class Exchange {
  /** The caller; null once it has been answered, has failed, or has unsubscribed (a written request's response is then read and dropped). */
  subscriber: Subscriber<ResponseEvent> | null;
  /** Its head was handed to the current socket. */
  written = false;
  /** How many sockets it has been written to; a re-sent request is never written a third time. */
  writes = 0;
  /** Its head went out with `Expect: 100-continue` and the body is held for the server's answer. */
  awaiting100 = false;
  /** Its body has begun to go out: a stream cannot be read twice, so it cannot be re-sent. */
  bodyStarted = false;
  /** Its body stopped half-way: the socket carries nothing more once its turn comes. */
  broken = false;
  /** Some of its response (a 1xx, its head) has reached the caller: it can never be sent again. */
  responded = false;
  /** Its caller left before it was written: the queue passes over it. */
  cancelled = false;
  /** Stops the body stream being written; null when none is. */
  private cancelBody: (() => void) | null = null;
  /** Stops reading the body's source, also after the body is complete; null when there is none. */
  private cancelSource: (() => void) | null = null;
  /** Sends the body anyway when the server never answers the expectation. */
  private expectTimer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly request: SerializedRequest,
    subscriber: Subscriber<ResponseEvent>,
  ) {
    this.subscriber = subscriber;
  }

  /** Whether its body still has bytes to go (held for 100 Continue, or streaming). */
  get bodyPending(): boolean {
    return this.awaiting100 || this.cancelBody !== null;
  }

  /** Holds the body after the head until the server answers the expectation (RFC 9110 §10.1.1). */
  holdBody(): void {
    this.awaiting100 = true;
  }

  /**
   * Starts the wait after which the body goes anyway, once this request's
   * response is the awaited one: behind others, the server cannot answer yet.
   */
  startExpectTimer(ms: number, onTimeout: () => void): void {
    if (this.awaiting100 && this.expectTimer === undefined) this.expectTimer = setTimeout(onTimeout, ms);
  }

  /**
   * Writes the body. Returns true when it is all queued already. A stream
   * returns false, and `done` is called when it is complete on the wire,
   * maybe before this returns (err: it failed half-way). `overrun` is
   * called if the source yields more after a complete `contentLength`.
   */
  sendBody(wire: Wire, done: (err: RequestError | null) => void, overrun: (err: RequestError) => void): boolean {
    this.stopHolding();
    this.bodyStarted = true;
    const { body, stream, streamLength } = this.request;
    if (body !== null) wire.write(body);
    if (stream === null) return true;
    let ended = false;
    const cancel = writeBody(stream, wire, streamLength, {
      done: (err) => {
        ended = true;
        this.cancelBody = null;
        done(err);
      },
      overrun,
    });
    if (!ended) this.cancelBody = cancel;
    // The source is read to its end after a complete contentLength; this stops that.
    this.cancelSource = cancel;
    return false;
  }

  /** Stops whatever of the body is still to go: the hold, or the stream. */
  stopBody(): void {
    this.stopHolding();
    const cancel = this.cancelBody;
    this.cancelBody = null;
    cancel?.();
  }

  /** The request is over: its source, if still read past a complete body, is let go. */
  stopSource(): void {
    const cancel = this.cancelSource;
    this.cancelSource = null;
    cancel?.();
  }

  /** Clears a hold for 100 Continue; runs no caller code. */
  stopHolding(): void {
    clearTimeout(this.expectTimer);
    this.expectTimer = undefined;
    this.awaiting100 = false;
  }
}

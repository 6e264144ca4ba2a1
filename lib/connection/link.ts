import { tap, type Subscription } from 'rxjs';
import { ReadControl } from '../flow';
import type { ParsedEvent, ParserLimits, ResponseParser } from '../http1/parser';
import type { Endpoint } from '../transport/endpoint';
import { openSocket, type Wire } from '../transport/socket';
import type { Exchange } from './exchange';
import { parseResponses } from './parseResponses';
import { IdleTimer, ProgressTimer } from './timers';

/** What a link reports to the pipeline that opened it. */
export interface LinkHandlers {
  /** Connected: the write side is ready. */
  connected(): void;
  /** Bytes arrived (before they are parsed). */
  read(): void;
  event(event: ParsedEvent): void;
  /** The socket ended (err null: between responses) or failed. */
  down(err: unknown): void;
  /** Whether the response being parsed answers a HEAD request (RFC 9110 §9.3.2). */
  headRequest(): boolean;
}

/** One socket's life; a connection goes through several. */
export class Link {
  /** The write side; null until connected. */
  wire: Wire | null = null;
  subscription: Subscription | null = null;
  /** Paused while a consumer is slower than the network; the socket is not read meanwhile. */
  readonly flow = new ReadControl();
  /** RFC 9112 §9.3.2: after an unexpected close, the first request goes alone until its head shows the server keeps the connection. */
  probing: boolean;
  /** Nothing more is written: the connection ends after the responses in flight (announced close, a caller's `Connection: close`, a body cut short). */
  draining = false;
  /** The request whose body is not all on the wire yet; nothing may be written behind it. */
  gate: Exchange | null = null;
  /** Responses completed on this socket. */
  responses = 0;
  /**
   * Responses the bytes being parsed may still hold: those in flight when
   * they arrived. A response beyond that cannot answer a request written
   * since, so it is unsolicited (a server talking out of turn).
   */
  answerable = 0;
  /** Milliseconds of idleness after which the connection is dropped, from `Keep-Alive: timeout` or the option. */
  idleLimit: number;
  /** When the response at the head of the line became the awaited one (ms since the epoch). */
  headSince = 0;
  /** The parser reading this socket, once subscribed: how much of the current body is left. */
  parser: ResponseParser | null = null;
  /**
   * The socket failed while a consumer's pause keeps its last bytes (and the
   * failure) from being parsed: nothing more is written on it. Not
   * `draining`, which means the end was announced or chosen.
   */
  lost = false;
  /** A response its caller gave up on, of unknown length, is being read: nothing more is written until it ends. */
  abandoning = false;
  /** Drops the socket when a response its caller gave up on, with requests behind it, does not end soon. */
  abandonTimer: NodeJS.Timeout | undefined = undefined;
  /** Runs while nothing is in flight or waiting. */
  readonly idle = new IdleTimer();
  /** Runs while a response is awaited; every read is progress. */
  readonly progress: ProgressTimer;

  /** @param onNoProgress called when the awaited request's timeout passes without progress; false when nothing is owed. */
  constructor(probing: boolean, idleLimit: number, onNoProgress: () => boolean) {
    this.probing = probing;
    this.idleLimit = idleLimit;
    this.progress = new ProgressTimer(() => this.wire?.accepted ?? 0, onNoProgress);
  }

  /**
   * Opens a socket to `endpoint` and parses what it reads into response
   * events for `handlers`. While a consumer holds `flow` paused, the socket
   * is not read, so TCP holds the server back instead of our memory; the
   * response is owed a whole timeout again from the moment reading resumes.
   */
  start(endpoint: Endpoint, connectTimeout: number, limits: ParserLimits, handlers: LinkHandlers): void {
    const events = openSocket(endpoint, { connectTimeout }, (wire) => {
      this.wire = wire;
      handlers.connected();
    }).pipe(
      // A lost socket takes no more writes, even while a consumer's pause
      // keeps its last bytes (and so the loss) from being parsed yet.
      tap({ next: () => handlers.read(), error: () => (this.lost = true) }),
      parseResponses(
        () => handlers.headRequest(),
        limits,
        this.flow,
        (parser) => (this.parser = parser),
      ),
    );
    this.flow.onChange(() => {
      if (this.flow.paused) return this.wire?.pause();
      this.wire?.resume();
      this.progress.touch();
    });
    this.subscription = events.subscribe({
      next: (event) => handlers.event(event),
      error: (err) => handlers.down(err),
      complete: () => handlers.down(null),
    });
  }

  /**
   * Ends the socket cleanly once nothing is pending: a FIN, then the
   * server's, within `graceMs` (RFC 9112 §9.6: the client closes first, and
   * reads until the server closes). Resolves when the socket is closed.
   */
  async close(graceMs: number): Promise<void> {
    this.idle.stop();
    this.progress.stop();
    clearTimeout(this.abandonTimer);
    if (this.wire !== null && this.subscription?.closed === false) await this.wire.end(graceMs);
    this.shutDown();
  }

  /** The abandoned response at the head has ended: the socket carries on. */
  endAbandoned(): void {
    clearTimeout(this.abandonTimer);
    this.abandonTimer = undefined;
    this.abandoning = false;
  }

  /** The idle timer runs while nothing is in flight or waiting; an idle socket lets the process exit. */
  updateIdle(inFlight: number, empty: boolean, onIdle: () => void): void {
    const wire = this.wire;
    if (wire === null) return;
    if (inFlight > 0) this.idle.leave(wire);
    else if (empty && !this.draining) this.idle.enter(wire, this.idleLimit, onIdle);
  }

  /** Ends everything the socket had going: timers, the body being sent, the subscription. Idempotent. */
  shutDown(): void {
    this.idle.stop();
    this.progress.stop();
    clearTimeout(this.abandonTimer);
    this.gate?.stopBody();
    this.gate = null;
    this.subscription?.unsubscribe();
  }
}

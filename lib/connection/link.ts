import type { Subscription } from 'rxjs';
import { ReadControl } from '../flow';
import type { Wire } from '../transport/socket';
import type { Exchange } from './exchange';
import { IdleTimer, ProgressTimer } from './timers';

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
  /** Runs while nothing is in flight or waiting. */
  readonly idle = new IdleTimer();
  /** Runs while a response is awaited; every read is progress. */
  readonly progress: ProgressTimer;

  constructor(probing: boolean, idleLimit: number, onNoProgress: () => boolean) {
    this.probing = probing;
    this.idleLimit = idleLimit;
    this.progress = new ProgressTimer(() => this.wire?.accepted ?? 0, onNoProgress);
  }

  /** Ends everything the socket had going: timers, the body being sent, the subscription. Idempotent. */
  shutDown(): void {
    this.idle.stop();
    this.progress.stop();
    this.gate?.stopBody();
    this.gate = null;
    this.subscription?.unsubscribe();
  }
}

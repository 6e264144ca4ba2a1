import type { RequestError } from '../errors';
import type { Exchange } from './exchange';
import type { Link } from './link';

/** What the body writer needs of the pipeline it serves. */
export interface BodyHost {
  /** The current socket; a body whose socket has gone does nothing. */
  link(): Link | null;
  /** The request whose response is awaited. */
  head(): Exchange | undefined;
  readonly expect100Timeout: number;
  /** Writes waiting requests, now that the gate may be open. */
  pump(): void;
  fail(exchange: Exchange, err: unknown): void;
  /** Drops the socket, as a close between responses would. */
  drop(link: Link): void;
  /** A request finished or left. */
  settled(): void;
}

/**
 * Puts request bodies on the wire for a pipeline. While a body is not all
 * out (held for 100 Continue, or streaming), it holds the socket's gate and
 * nothing is written behind it; a body cut short leaves the socket to drain
 * and be dropped when its turn comes.
 */
export class BodyWriter {
  constructor(private readonly host: BodyHost) {}

  /** The head of `exchange` has just been written: its body goes now, or waits for 100 Continue. */
  start(link: Link, exchange: Exchange): void {
    if (exchange.request.expect100) {
      // RFC 9110 §10.1.1: the body waits for 100 Continue, or for expect100Timeout.
      link.gate = exchange;
      exchange.holdBody();
      this.awaitExpectation(link);
    } else {
      this.send(link, exchange);
    }
  }

  /** Starts the expect100Timeout of the awaited request, if it holds its body. */
  awaitExpectation(link: Link): void {
    const head = this.host.head();
    if (head?.awaiting100) head.startExpectTimer(this.host.expect100Timeout, () => this.send(link, head));
  }

  /** Puts the body on the wire; a streamed one holds the gate until it ends. */
  send(link: Link, exchange: Exchange): void {
    if (this.host.link() !== link || link.wire === null) return;
    link.gate = exchange;
    const ended = (err: RequestError | null) => this.onBodyEnd(link, exchange, err);
    if (exchange.sendBody(link.wire, ended, (err) => this.onOverrun(link, exchange, err))) {
      link.gate = null;
      this.bodySent(link, exchange);
      this.host.pump();
    }
  }

  /** The awaited request's body is all out: its response is owed from now, not from when its head went. */
  private bodySent(link: Link, exchange: Exchange): void {
    if (this.host.head() === exchange) link.progress.touch();
  }

  private onBodyEnd(link: Link, exchange: Exchange, err: RequestError | null): void {
    if (link.gate === exchange) link.gate = null;
    if (this.host.link() !== link) return;
    if (err !== null) {
      this.breakOff(link, exchange);
      this.host.fail(exchange, err);
      if (!this.dropIfBroken(link)) this.host.settled();
      return;
    }
    this.bodySent(link, exchange);
    this.host.pump();
  }

  /**
   * The source of a complete `contentLength` body yielded more: the extra
   * bytes were not written, so the socket is sound, but the request was not
   * the one described. Its response is read and dropped, as after a cancel.
   */
  private onOverrun(link: Link, exchange: Exchange, err: RequestError): void {
    if (exchange.subscriber === null) return;
    if (this.host.link() === link) link.flow.liftFor(exchange);
    this.host.fail(exchange, err);
    this.host.settled();
  }

  /** Stops the rest of a body: the socket, its request cut short, carries nothing more. */
  cut(link: Link, exchange: Exchange): void {
    exchange.stopBody();
    if (link.gate === exchange) link.gate = null;
    link.draining = true;
  }

  /**
   * A body that stopped half-way with nobody to answer for it (it failed, or
   * its caller left): the responses ahead are still read, then the socket is
   * dropped when its turn comes.
   */
  breakOff(link: Link, exchange: Exchange): void {
    this.cut(link, exchange);
    exchange.broken = true;
  }

  /** Drops the socket when the request whose turn has come had its body cut short. */
  dropIfBroken(link: Link): boolean {
    if (this.host.head()?.broken !== true) return false;
    this.host.drop(link);
    return true;
  }
}

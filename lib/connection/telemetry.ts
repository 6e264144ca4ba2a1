import * as diagnostics from 'node:diagnostics_channel';
import { Subject } from 'rxjs';
import type { ConnectionEvent, HeadEvent } from '../events';
import type { Peer } from '../transport/socket';
import type { Exchange } from './exchange';

/**
 * The `node:diagnostics_channel` channels httpio publishes on, for tracing
 * (OpenTelemetry and the like). Each message names the request with one
 * object per request, the same in every message about it:
 * `{ request: { origin, method, path } }`, plus `response` (the head) on
 * `:headers`, `error` on `:error`. Connection messages carry
 * `{ origin, connection, peer }` and, on close, `cause`. Nothing is built or
 * published while a channel has no subscribers.
 */
export const CHANNELS = {
  create: diagnostics.channel('httpio:request:create'),
  headers: diagnostics.channel('httpio:request:headers'),
  end: diagnostics.channel('httpio:request:end'),
  error: diagnostics.channel('httpio:request:error'),
  connect: diagnostics.channel('httpio:connection:connect'),
  close: diagnostics.channel('httpio:connection:close'),
} as const;

/** What the channels say of a request; made once, when a channel first needs it. */
export interface RequestInfo {
  readonly origin: string;
  readonly method: string;
  readonly path: string;
}

const infos = new WeakMap<Exchange, RequestInfo>();

function info(origin: string, exchange: Exchange): RequestInfo {
  let found = infos.get(exchange);
  if (found === undefined) {
    found = { origin, method: exchange.request.method, path: exchange.request.path };
    infos.set(exchange, found);
  }
  return found;
}

/** Publishes a new request on `httpio:request:create`, if anyone listens. */
export function publishCreated(origin: string, exchange: Exchange): void {
  if (CHANNELS.create.hasSubscribers) CHANNELS.create.publish({ request: info(origin, exchange) });
}

/** A hot stream of ConnectionEvent shared by a connection, a pool's connections, or an agent's pools. */
export class EventHub {
  readonly subject = new Subject<ConnectionEvent>();

  /** Whether anyone listens; events are not even built otherwise. */
  get observed(): boolean {
    return this.subject.observed;
  }
}

/**
 * Reports what one pipeline does to its `events` subscribers and the
 * diagnostics channels. Every method costs a property check when nobody
 * listens.
 */
export class Telemetry {
  constructor(
    private readonly hub: EventHub,
    private readonly origin: string,
    private readonly connection: number,
  ) {}

  connected(peer: Peer, proxy: string | null): void {
    const { origin, connection } = this;
    if (this.hub.observed) this.hub.subject.next({ type: 'connect', origin, connection, address: peer.address, tls: peer.tls, proxy });
    if (CHANNELS.connect.hasSubscribers) CHANNELS.connect.publish({ origin, connection, peer });
  }

  written(exchange: Exchange): void {
    if (!this.hub.observed) return;
    const { method, path } = exchange.request;
    this.hub.subject.next({ type: 'written', origin: this.origin, connection: this.connection, method, path, writes: exchange.writes });
  }

  head(exchange: Exchange, head: HeadEvent, ms: number): void {
    const { method, path } = exchange.request;
    if (this.hub.observed)
      this.hub.subject.next({ type: 'head', origin: this.origin, connection: this.connection, method, path, status: head.status, ms });
    if (CHANNELS.headers.hasSubscribers) CHANNELS.headers.publish({ request: info(this.origin, exchange), response: head });
  }

  resent(exchanges: readonly Exchange[]): void {
    if (!this.hub.observed) return;
    for (const { request } of exchanges) {
      this.hub.subject.next({
        type: 'resent',
        origin: this.origin,
        connection: this.connection,
        method: request.method,
        path: request.path,
      });
    }
  }

  ended(exchange: Exchange): void {
    if (CHANNELS.end.hasSubscribers) CHANNELS.end.publish({ request: info(this.origin, exchange) });
  }

  failed(exchange: Exchange, error: unknown): void {
    if (CHANNELS.error.hasSubscribers) CHANNELS.error.publish({ request: info(this.origin, exchange), error });
  }

  disconnected(announced: boolean, cause: unknown): void {
    const { origin, connection } = this;
    if (this.hub.observed) this.hub.subject.next({ type: 'disconnect', origin, connection, announced, cause });
    if (CHANNELS.close.hasSubscribers) CHANNELS.close.publish({ origin, connection, cause });
  }

  timedOut(exchange: Exchange, ms: number): void {
    if (!this.hub.observed) return;
    const { method, path } = exchange.request;
    this.hub.subject.next({ type: 'timeout', origin: this.origin, connection: this.connection, method, path, ms });
  }
}

import { ConnectError, ConnectionClosed, HttpioError } from '../errors';
import type { Exchange } from './exchange';
import type { Link } from './link';
import type { RequestQueue } from './queue';

/**
 * The close and re-send rules: which requests a lost socket takes down, and
 * which go again on the next one. A request is written at most twice, and
 * only when it was provably not processed.
 */

/** Why a request whose streamed body was read cannot go again after an announced close. */
const SPENT = 'the server closed the connection before processing this request, whose streamed body was read and cannot be sent again';

/**
 * RFC 9112 §9.6: a server that announces its close processes nothing after
 * that response, so the requests written behind it may be written again on
 * the next socket. Sorts them: `resend` (their state reset for that), and
 * `spent`, whose streamed body was read and cannot be sent twice. Those
 * whose caller has left are in neither. Runs no caller code.
 */
export function sortUnprocessed(behind: readonly Exchange[], link: Link): { resend: Exchange[]; spent: Exchange[] } {
  const resend: Exchange[] = [];
  const spent: Exchange[] = [];
  for (const exchange of behind) {
    // A held body must not go out on this socket when its timer fires.
    exchange.stopHolding();
    if (link.gate === exchange) link.gate = null;
    if (exchange.bodyStarted && exchange.request.stream !== null) {
      spent.push(exchange);
    } else if (exchange.subscriber !== null) {
      exchange.written = false;
      exchange.bodyStarted = false;
      resend.push(exchange);
    }
  }
  return { resend, spent };
}

/**
 * Takes out of `queue` the requests a lost socket takes down, and says
 * whether the next socket must probe (RFC 9112 §9.3.2). After a failed
 * connect nothing was written: the waiting requests fail rather than loop
 * on reconnects, and the probe this socket owed is still owed. Otherwise
 * the requests in flight fail (see errorFor), and a close the server did
 * not announce makes the next socket probe.
 */
export function takeLost(queue: RequestQueue, link: Link, err: unknown): { failed: Exchange[]; probe: boolean } {
  if (err instanceof ConnectError) return { failed: queue.takeWaiting(), probe: link.probing };
  const failed = queue.takeInFlight();
  return { failed, probe: failed.length > 0 && !link.draining };
}

/**
 * The caller's choice, resendIdempotent: of the requests a lost socket
 * takes down (`lost`, in wire order, as takeLost() gave them), those that
 * go once more on the next socket. Only a request whose method is
 * idempotent (RFC 9110 §9.2.2) and whose body can be sent again, written
 * once so far, none of whose response has reached its caller; and not the
 * awaited one when the loss is its own response's fault (malformed, timed
 * out). The others stay in `lost`, to fail. Runs no caller code.
 */
export function takeResendable(lost: Exchange[], err: unknown, byDefault: boolean): Exchange[] {
  if (err instanceof ConnectError) return [];
  const resend: Exchange[] = [];
  const keep: Exchange[] = [];
  lost.forEach((exchange, i) => {
    const ownFault = i === 0 && err !== null && !(err instanceof ConnectionClosed);
    const chosen = (exchange.request.resend ?? byDefault) === true;
    if (chosen && !ownFault && exchange.subscriber !== null && exchange.writes < 2 && !exchange.responded) {
      exchange.written = false;
      exchange.bodyStarted = false;
      resend.push(exchange);
    } else {
      keep.push(exchange);
    }
  });
  // Not splice(...keep): spreading a long list overflows the call stack.
  lost.length = 0;
  for (const exchange of keep) lost.push(exchange);
  return resend;
}

/** The error of a request that sortUnprocessed() found spent. */
export function spentError(): ConnectionClosed {
  return new ConnectionClosed(SPENT, { sent: true });
}

/**
 * The error for the request at `position` among those a lost socket fails
 * (err null: the server closed between responses). The awaited one gets the
 * fault it caused (a malformed response, a timeout); the others, written and
 * unanswered, get ConnectionClosed {sent: true}. A failed connect wrote nothing.
 */
export function errorFor(err: unknown, position: number): unknown {
  if (err instanceof ConnectError) return err;
  if (position === 0 && err instanceof HttpioError && !(err instanceof ConnectionClosed)) return err;
  const why =
    err === null
      ? 'the server closed the connection before the response ended'
      : position === 0 && err instanceof ConnectionClosed
        ? err.message
        : `the connection was lost before the response: ${err instanceof Error ? err.message : String(err)}`;
  // A clean close has no cause; a lost socket's cause is its errno error,
  // not a copy of the same ConnectionClosed; a fault of the response ahead
  // (malformed, timed out) is the cause of those behind it.
  const cause = err instanceof ConnectionClosed ? err.cause : (err ?? undefined);
  return new ConnectionClosed(why, cause === undefined ? { sent: true } : { sent: true, cause });
}

import { ConnectionClosed } from '../errors';
import type { Link } from './link';
import type { RequestQueue } from './queue';

/**
 * What becomes of a response whose caller unsubscribed after its request
 * was written. Its bytes must still be read for the pipeline to stay in
 * step, but it must not hold the connection: an endless stream, or a large
 * download nobody wants, would keep every request behind it waiting while
 * bytes keep coming (so no timeout fires either).
 */

/** A rest at most this long is read and dropped, to keep the connection; anything longer costs more than a new one. */
export const ABANDONED_READ_LIMIT = 64 * 1024;

/** How long a response of unknown length may go on, with requests written behind it, before the socket is dropped. */
export const ABANDONED_GRACE_MS = 1_000;

/**
 * The verdict for the abandoned response at the head of the line, from the
 * body bytes still to come (`rest`: -1 before its head, Infinity when
 * chunked or read until close) and whether requests are written behind it:
 *
 * - `read`: read the rest on and keep the connection — it is short, or
 *   known and requests behind it are waiting for their answers.
 * - `drop`: nothing is written behind it and the rest is long or unknown:
 *   drop the socket now; the waiting requests go on a new one.
 * - `wait`: requests are written behind it and its head has not arrived:
 *   write nothing more until the head tells its length (the connection's
 *   timeout bounds that wait).
 * - `grace`: requests are written behind it and its end is unknown (chunked
 *   or read until close): write nothing more, and drop the socket if it has
 *   not ended within ABANDONED_GRACE_MS (the requests behind it then fail as
 *   after an unannounced close).
 *
 * @example
 * abandonedVerdict(Infinity, false); // 'drop'
 */
export function abandonedVerdict(rest: number, behind: boolean): 'read' | 'drop' | 'wait' | 'grace' {
  const known = rest >= 0 && rest !== Infinity;
  if (!behind) return known && rest <= ABANDONED_READ_LIMIT ? 'read' : 'drop';
  if (rest === -1) return 'wait';
  return known ? 'read' : 'grace';
}

/**
 * Applies the verdict to the head of `queue` if its caller has left: reads
 * on, drops the socket through `drop` at once, or after the grace. A drop is
 * httpio's own decision, not the server's, so the socket is marked draining
 * and the next one need not probe.
 */
export function judgeAbandoned(link: Link, queue: RequestQueue, drop: (err: unknown) => void): void {
  const head = queue.head;
  if (head === undefined || head.subscriber !== null) return;
  const verdict = abandonedVerdict(link.parser?.rest ?? -1, queue.inFlight > 1);
  // Judged again when its head shows the length: a known rest is read on after all.
  if (verdict === 'read') return link.endAbandoned();
  if (link.abandonTimer !== undefined) return;
  if (verdict === 'drop') {
    link.draining = true;
    return drop(null);
  }
  link.abandoning = true;
  if (verdict === 'wait') return;
  link.abandonTimer = setTimeout(() => {
    if (queue.head !== head) return;
    link.draining = true;
    const { method, path } = head.request;
    drop(
      new ConnectionClosed(
        `${method} ${path}, given up by its caller, did not end within ${ABANDONED_GRACE_MS} ms, so the connection was dropped`,
        { sent: true },
      ),
    );
  }, ABANDONED_GRACE_MS).unref();
}

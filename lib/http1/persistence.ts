import type { HeadEvent } from '../events';
import { hasToken } from '../headers';

/** Drop an idle connection this long (at most) before the server's announced keep-alive timeout. */
const KEEP_ALIVE_MARGIN = 1_000;
/** The longest a Node.js timer can wait; past it, one fires at once. */
const MAX_TIMER = 0x7fffffff;
/** `timeout=N` in a Keep-Alive field (RFC 2068 §19.7.1.1, still what servers send). */
const KEEP_ALIVE_TIMEOUT = /(?:^|[,;\s])timeout\s*=\s*"?(\d+)/i;

/**
 * What a response says of its connection, read in one pass over its fields:
 * whether it persists (RFC 9112 §9.3) and how long the server keeps it idle.
 */
export function connectionAfter(head: HeadEvent, headRequest: boolean): { persistent: boolean; idleMs: number | null } {
  let close = false;
  let keepAlive = false;
  let framed = false;
  let idleMs: number | null = null;
  head.headers.forEach((value, name) => {
    if (name.length !== 10 && name.length !== 14 && name.length !== 17) return;
    const lower = name.toLowerCase();
    if (lower === 'connection') {
      close ||= hasToken(value, 'close');
      keepAlive ||= hasToken(value, 'keep-alive');
    } else if (lower === 'keep-alive') {
      const hint = KEEP_ALIVE_TIMEOUT.exec(value);
      if (hint !== null) idleMs = Number(hint[1]) * 1000;
    } else if (lower === 'content-length' || lower === 'transfer-encoding') {
      framed = true;
    }
  });
  // RFC 9112 §6.3 ¶8: a body framed by neither runs until the close.
  const untilClose = !framed && !headRequest && head.status !== 204 && head.status !== 304;
  // 1.1 persists unless "close"; 1.0 only with "keep-alive".
  const persistent = !untilClose && !close && (head.version === '1.1' || keepAlive);
  return { persistent, idleMs };
}

/**
 * How long to keep an idle connection whose server keeps it `idleMs`: a
 * little less, so that httpio, not the server, closes it and no request is
 * written into a socket the server is closing.
 */
export function idleLimit(idleMs: number): number {
  return Math.min(MAX_TIMER, idleMs - Math.min(KEEP_ALIVE_MARGIN, idleMs / 2));
}

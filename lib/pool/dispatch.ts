import type { Pipeline } from '../connection/pipeline';

/** Below this, a head response is never called stalled: loopback jitter and GC pauses are not stalls. */
const STALL_FLOOR_MS = 25;
/** A head awaited this many times longer than the pool's typical response is stalled. */
const STALL_FACTOR = 8;
/** Weight of the newest response in the running mean (an EWMA over roughly the last 20). */
const EWMA_WEIGHT = 0.05;

/**
 * How long the pool's responses typically take to start: a running mean of
 * the time from "awaited" to "head arrived", from which `stalled` is judged.
 */
export class ResponseTimes {
  /** Milliseconds; starts at the floor so the first responses are not judged against nothing. */
  private mean = STALL_FLOOR_MS / STALL_FACTOR;

  record(ms: number): void {
    this.mean += (ms - this.mean) * EWMA_WEIGHT;
  }

  /** A head awaited longer than this is stalled. */
  get stallAfter(): number {
    return Math.max(STALL_FLOOR_MS, this.mean * STALL_FACTOR);
  }
}

/**
 * Where the next request of a pool goes: a connection, `'new'` for a new
 * one, or null when it must wait in the pool's own line. Every rule of
 * dispatch is here, and only here, in order:
 *
 * 1. A connection with nothing in flight or waiting: it answers at once.
 *    One with a live socket first, so no new handshake is made needlessly.
 * 2. A new connection, while fewer than `max` exist.
 * 3. The least-loaded connection that can take a request now (its own
 *    busy() rules: pipelining depth, 100-continue gate, probe), that has
 *    answered on its current socket (so a request behind its head waits one
 *    response, not an unknown), and whose head response is not stalled:
 *    awaited far longer than the pool's recent responses. Writing behind a
 *    stalled head is head-of-line blocking, which this rule avoids.
 * 4. Else the request waits in the pool's line and goes wherever room comes
 *    first. Nothing is written behind a stalled head, nor behind one that is
 *    blocked by design — an event stream without timeout, a response its
 *    caller gave up on that is still being read — nor on a socket that has
 *    not answered yet. The stall threshold follows the pool's recent
 *    responses, so a server that is slow for everything is not "stalled".
 *
 * @example
 * const target = choose(pipelines, 4, times, Date.now());
 */
export function choose(pipelines: readonly Pipeline[], max: number, times: ResponseTimes, now: number): Pipeline | 'new' | null {
  let idle: Pipeline | null = null;
  for (const pipeline of pipelines) {
    if (pipeline.load !== 0 || !pipeline.accepts()) continue;
    if (pipeline.connected) return pipeline;
    idle ??= pipeline;
  }
  if (idle !== null) return idle;
  if (pipelines.length < max) return 'new';

  const stallAfter = times.stallAfter;
  let best: Pipeline | null = null;
  for (const pipeline of pipelines) {
    if (!pipeline.answering || !pipeline.accepts()) continue;
    const wait = pipeline.headWait(now);
    if (wait === 'blocked' || wait > stallAfter) continue;
    if (best === null || pipeline.load < best.load) best = pipeline;
  }
  return best;
}

import { HttpConnection } from '../lib/connection/connection';
import { ConnectionClosed } from '../lib/errors';
import type { HttpResponse } from '../lib/response';
import { settle, type Outcome } from './support/observe';
import { ScriptServer, response } from './support/script-server';
import { tearDown } from './support/fixture';

/** A small deterministic generator (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REQUESTS = 3000;

describe('soak: thousands of pipelined requests against a server that closes every 1–100 responses', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  /** Each connection answers 1–100 requests, then closes: with Connection: close on the last, or abruptly. */
  async function closingServer(seed: number): Promise<ScriptServer> {
    const next = random(seed);
    return ScriptServer.start(async (c) => {
      const keep = 1 + Math.floor(next() * 100);
      const announce = next() < 0.5;
      for (let n = 1; ; n++) {
        const req = await c.nextRequest(Infinity).catch(() => null);
        if (req === null) return c.destroy();
        const last = n === keep;
        await c.write(response(200, req.path, last && announce ? { Connection: 'close' } : {})).catch(() => undefined);
        if (!last) continue;
        if (announce) return c.end();
        return c.destroy(); // abrupt: the requests written behind are lost
      }
    });
  }

  async function run(resendIdempotent: boolean): Promise<{ outcomes: Array<Outcome<HttpResponse>>; failed: number }> {
    conn = new HttpConnection(server!.url, { maxPipelined: 16, resendIdempotent });
    const outcomes = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => settle(conn!.fetch('GET', `/${i}`), 60_000)));
    let failed = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome.error === undefined) {
        // No answer to the wrong request, and exactly one answer.
        expect(outcome.values.length).withContext(`/${i}`).toBe(1);
        expect(outcome.values[0].text()).withContext(`/${i}`).toBe(`/${i}`);
      } else {
        failed++;
        // Only what was in flight at an abrupt close, and said so.
        expect(outcome.error instanceof ConnectionClosed && outcome.error.sent)
          .withContext(`/${i}: ${String(outcome.error)}`)
          .toBeTrue();
      }
    });
    // Nothing written a third time.
    const writes = new Map<string, number>();
    for (const req of server!.requests) writes.set(req.path, (writes.get(req.path) ?? 0) + 1);
    expect(Math.max(...writes.values())).toBeLessThanOrEqual(2);
    expect(conn.pending).toBe(0);
    return { outcomes, failed };
  }

  it('answers every request with its own response or ConnectionClosed {sent: true}, none lost, none doubled', async () => {
    server = await closingServer(20261202);
    const { failed } = await run(false);
    expect(failed).toBeGreaterThan(0); // the abrupt closes did hit requests in flight
    expect(failed).toBeLessThan(REQUESTS / 2);
  }, 60_000);

  it('with resendIdempotent, turns most of those failures into answers', async () => {
    server = await closingServer(20261202);
    const plain = await run(false);
    await tearDown(conn, undefined);
    const resending = await run(true);
    expect(resending.failed).toBeLessThan(plain.failed);
  }, 60_000);
});

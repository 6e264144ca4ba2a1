import { firstValueFrom, type Subscription } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';
import { untilClientLeaves } from '../support/scripts';

describe('cancelling queued requests', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  /** A server that answers the first request only after `release` resolves, then every request at once. */
  async function heldServer(): Promise<{ release: () => void }> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    server = await ScriptServer.start(async (c) => {
      for (;;) {
        const req = await c.nextRequest(Infinity).catch(() => null);
        if (req === null) return untilClientLeaves(c);
        if (first) {
          first = false;
          await held;
        }
        await c.write(response(200, req.path));
      }
    });
    return { release };
  }

  for (const order of ['subscription', 'reverse', 'alternate'] as const) {
    it(`leaves the connection answering in order after 10,000 waiting requests are cancelled in ${order} order`, async () => {
      const { release } = await heldServer();
      conn = new HttpConnection(server!.url, { maxPipelined: 1 });
      const first = settle(conn.fetch('GET', '/first'));
      const queued: Subscription[] = [];
      for (let i = 0; i < 10_000; i++) queued.push(conn.fetch('GET', `/q${i}`).subscribe({ error: () => undefined }));
      const kept = settle(conn.fetch('GET', '/kept'));
      expect(conn.pending).toBe(10_002);
      const indices = queued.map((_, i) => i);
      if (order === 'reverse') indices.reverse();
      if (order === 'alternate') indices.sort((a, b) => (a % 2) - (b % 2) || a - b);
      for (const i of indices) queued[i].unsubscribe();
      expect(conn.pending).toBe(2);
      release();
      expect((await first).values[0]?.text()).toBe('/first');
      expect((await kept).values[0]?.text()).toBe('/kept');
      expect((await firstValueFrom(conn.fetch('GET', '/after'))).text()).toBe('/after');
      // None of the cancelled requests reached the wire.
      expect(server!.requests.map((r) => r.path)).toEqual(['/first', '/kept', '/after']);
      expect(conn.pending).toBe(0);
    });
  }
});

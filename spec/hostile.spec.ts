import { firstValueFrom, take, timeout } from 'rxjs';
import { HttpConnection } from '../lib/connection/connection';
import { ConnectionClosed, InvalidResponse } from '../lib/errors';
import { HttpPool } from '../lib/pool/pool';
import { delay, settle } from './support/observe';
import { ScriptServer, response, type ServerConnection } from './support/script-server';
import { tearDown } from './support/fixture';
import { clientGone } from './support/scripts';

// Servers that send bytes without end. Whatever they send, a request must
// end — in a response, an error, or a limit — and never hold the
// connection (or the requests behind it) for good. Each writer stops by
// itself after MAX_WRITTEN bytes, so a failing spec ends too.

const MAX_WRITTEN = 8 * 1024 * 1024;

/**
 * Writes `prefix`, then `unit` again and again until the client leaves or
 * MAX_WRITTEN bytes are out; with `paceMs`, a small piece every `paceMs`
 * (for at most 10 s), for a stream that lasts.
 */
async function endless(c: ServerConnection, prefix: string, unit: string, paceMs = 0): Promise<void> {
  try {
    await c.write(prefix);
    const chunk = unit.repeat(Math.max(1, Math.floor((paceMs > 0 ? 256 : 16 * 1024) / unit.length)));
    const until = Date.now() + 10_000;
    for (let written = 0; written < MAX_WRITTEN && !c.clientEnded && Date.now() < until; written += chunk.length) {
      await c.write(chunk);
      if (paceMs > 0) await delay(paceMs);
    }
  } catch (err) {
    if (!clientGone(err)) throw err;
  }
  c.destroy();
}

/** Waits until the client leaves, without ending our side first. */
async function untilClientGone(c: ServerConnection): Promise<void> {
  await c.nextRequest(Infinity).catch(() => undefined);
  c.destroy();
}

describe('hostile servers', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  for (const [what, prefix, unit, words] of [
    ['empty lines before the status line, forever', '', '\r\n', 'empty lines'],
    ['103 Early Hints, forever', '', 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n', 'informational'],
    ['a chunk-size line of zeros, forever', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '0', 'digits'],
    ['a chunk extension, forever', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;', 'x', 'chunk extensions'],
    ['a trailer section, forever', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n', 'X-T: 1\r\n', 'trailer section'],
    ['a reason phrase, forever', 'HTTP/1.1 200 ', 'O', 'response head'],
    ['header lines, forever', 'HTTP/1.1 200 OK\r\n', 'X-Filler: 1\r\n', 'response head'],
  ] as const) {
    it(`ends in InvalidResponse for ${what}`, async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await endless(c, prefix, unit);
      });
      conn = new HttpConnection(server.url);
      const outcome = await settle(conn.fetch('GET', '/'), 10_000);
      expect(outcome.error).toBeInstanceOf(InvalidResponse);
      expect((outcome.error as Error).message).toContain(words);
    });
  }

  describe('a response its caller gave up on', () => {
    /** Answers /endless with a chunked body that never ends, everything else at once. */
    const endlessServer = () =>
      ScriptServer.start(async (c) => {
        for (;;) {
          const req = await c.nextRequest(Infinity).catch(() => null);
          if (req === null) return c.destroy();
          if (req.path === '/endless') return endless(c, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '3\r\nabc\r\n', 5);
          if (req.path === '/big') return endless(c, `HTTP/1.1 200 OK\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`, 'x', 5);
          await c.write(response(200, req.path));
        }
      });

    for (const path of ['/endless', '/big']) {
      it(`does not hold the next request when it is ${path === '/big' ? 'large' : 'endless'} and nothing is written behind it`, async () => {
        server = await endlessServer();
        conn = new HttpConnection(server.url);
        const abandoned = await settle(conn.fetch('GET', path).pipe(timeout(100)), 5_000);
        expect(abandoned.error?.constructor.name).toBe('TimeoutErrorImpl');
        const started = Date.now();
        const next = await settle(conn.fetch('GET', '/next'), 5_000);
        expect(next.values[0]?.text()).toBe('/next');
        expect(Date.now() - started).toBeLessThan(1_000);
        // The abandoned socket was dropped; the next request went on a new one.
        expect(server.connections.length).toBe(2);
      });
    }

    it('drops the socket after a short grace when requests are written behind an endless one', async () => {
      server = await endlessServer();
      conn = new HttpConnection(server.url);
      const endlessRequest = conn.request('GET', '/endless').subscribe({ error: () => undefined });
      const behind = settle(conn.fetch('GET', '/behind'), 5_000);
      await delay(50);
      endlessRequest.unsubscribe();
      const outcome = await behind;
      // Written behind the endless response, it may have been processed: not re-sent.
      expect(outcome.error).toBeInstanceOf(ConnectionClosed);
      expect((outcome.error as ConnectionClosed).sent).toBeTrue();
      expect((outcome.error as Error).message).toContain('GET /endless');
      expect((await firstValueFrom(conn.fetch('GET', '/later'))).text()).toBe('/later');
    });

    it('reads a short known rest on, keeping the connection', async () => {
      server = await ScriptServer.start(async (c) => {
        for (;;) {
          const req = await c.nextRequest(Infinity).catch(() => null);
          if (req === null) return c.destroy();
          if (req.path === '/short') {
            await c.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(500));
            await delay(100);
            await c.write('y'.repeat(500));
          } else {
            await c.write(response(200, req.path));
          }
        }
      });
      conn = new HttpConnection(server.url);
      await settle(conn.fetch('GET', '/short').pipe(timeout(50)));
      expect((await firstValueFrom(conn.fetch('GET', '/next'))).text()).toBe('/next');
      expect(server.connections.length).toBe(1);
    });

    it('reads on a slow response of known length given up on before its head, keeping the request behind it', async () => {
      server = await ScriptServer.start(async (c) => {
        const a = await c.nextRequest();
        const b = await c.nextRequest();
        await delay(1_300); // longer than the grace for responses of unknown length
        await c.write(response(200, `answer to ${a.path}`) + response(200, `answer to ${b.path}`));
        await untilClientGone(c);
      });
      conn = new HttpConnection(server.url);
      const a = conn.fetch('GET', '/a').subscribe({ error: () => undefined });
      const b = settle(conn.fetch('GET', '/b'), 5_000);
      await delay(50);
      a.unsubscribe();
      expect((await b).values[0]?.text()).toBe('answer to /b');
      expect(server.connections.length).toBe(1);
    });

    it('reads a short rest on when the caller leaves in the head callback', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234');
        await delay(1_300);
        await c.write('56789' + response(200, 'b'));
        await untilClientGone(c);
      });
      conn = new HttpConnection(server.url);
      conn.request('GET', '/a').pipe(take(1)).subscribe();
      expect((await settle(conn.fetch('GET', '/b'), 5_000)).values[0]?.text()).toBe('b');
      const quiet = await ScriptServer.respondEach(() => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      const other = new HttpConnection(quiet.url);
      try {
        await settle(other.request('GET', '/a').pipe(take(1)));
        await delay(50);
        expect((await settle(other.fetch('GET', '/b'))).values[0]?.text()).toBe('ok');
        expect(quiet.connections.length).toBe(1);
      } finally {
        other.destroy();
        await quiet.close();
      }
    });

    it('is routed around by a pool, which writes nothing behind it', async () => {
      server = await endlessServer();
      const pool = new HttpPool(server.url, { connections: 2 });
      try {
        await Promise.all([firstValueFrom(pool.fetch('GET', '/warm1')), firstValueFrom(pool.fetch('GET', '/warm2'))]);
        await settle(pool.fetch('GET', '/endless').pipe(timeout(50)), 5_000);
        const results = await Promise.all(Array.from({ length: 5 }, (_, i) => firstValueFrom(pool.fetch('GET', `/p${i}`))));
        expect(results.map((r) => r.text())).toEqual(['/p0', '/p1', '/p2', '/p3', '/p4']);
      } finally {
        pool.destroy();
      }
    });
  });
});

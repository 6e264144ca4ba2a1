import { firstValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectionClosed } from '../../lib/errors';
import type { ResponseEvent } from '../../lib/events';
import { delay, settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';
import { read } from '../support/scripts';

describe('closing and keeping connections', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  it('close() half-closes and resolves only once the server has closed too', async () => {
    let serverEndedAt = 0;
    server = await ScriptServer.start(async (c) => {
      const req = await c.nextRequest();
      await c.write(response(200, req.path));
      // The client's FIN comes first; the server answers it a little later.
      await c.nextRequest(Infinity).catch(() => undefined);
      await delay(60);
      serverEndedAt = Date.now();
      await c.end();
    });
    conn = new HttpConnection(server.url);
    await firstValueFrom(conn.fetch('GET', '/'));
    await conn.close();
    const closedAt = Date.now();
    expect(server.connections[0].clientEnded).toBeTrue();
    expect(serverEndedAt).toBeGreaterThan(0);
    expect(closedAt).toBeGreaterThanOrEqual(serverEndedAt);
  });

  it('close() does not wait long for a server that never closes its side', async () => {
    server = await ScriptServer.start(async (c) => {
      const req = await c.nextRequest();
      await c.write(response(200, req.path));
      await c.closed; // never ends its side by itself
    });
    conn = new HttpConnection(server.url);
    await firstValueFrom(conn.fetch('GET', '/'));
    const started = Date.now();
    await conn.close();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('follows the latest Keep-Alive hint: a response without one restores keepAliveTimeout', async () => {
    let count = 0;
    server = await ScriptServer.respondEach((req) => response(200, req.path, count++ === 0 ? { 'Keep-Alive': 'timeout=1' } : {}));
    conn = new HttpConnection(server.url, { keepAliveTimeout: 5_000 });
    await firstValueFrom(conn.fetch('GET', '/hinted'));
    await firstValueFrom(conn.fetch('GET', '/plain'));
    // Past the first hint's limit (half of 1 s), within keepAliveTimeout.
    await delay(700);
    await firstValueFrom(conn.fetch('GET', '/later'));
    expect(server.connections.length).toBe(1);
  });

  it('delivers the responses that arrived whole before a reset, even while a consumer holds the connection paused', async () => {
    server = await ScriptServer.start(async (c) => {
      await read(c, 3);
      await c.write(response(200, 'a'.repeat(10)) + response(200, 'b'));
      await delay(30);
      c.reset();
    });
    conn = new HttpConnection(server.url);
    const paused = new Promise<string>((resolve, reject) => {
      let body = '';
      conn!.request('GET', '/a').subscribe({
        next(event: ResponseEvent) {
          if (event.type !== 'data') return;
          body += Buffer.from(event.data).toString();
          // Hold the connection until well after the reset.
          const lift = event.pause();
          setTimeout(lift, 120);
        },
        complete: () => resolve(body),
        error: reject,
      });
    });
    const b = settle(conn.fetch('GET', '/b'));
    const c = settle(conn.fetch('GET', '/c'));
    expect(await paused).toBe('aaaaaaaaaa');
    expect((await b).values[0]?.text()).toBe('b');
    const lost = await c;
    expect(lost.error).toBeInstanceOf(ConnectionClosed);
    expect((lost.error as ConnectionClosed).sent).toBeTrue();
  });

  it('probes after a reset the server did not announce: the first request on the next connection goes alone', async () => {
    let onSecond = -1;
    server = await ScriptServer.start(async (c) => {
      if (c.index === 0) {
        await read(c, 2);
        return c.reset();
      }
      await c.nextRequest();
      await delay(50);
      onSecond = c.received.toString('latin1').split('GET /').length - 1;
      await c.write(response(200, 'ok'));
      for (;;) {
        const req = await c.nextRequest(Infinity).catch(() => null);
        if (req === null) return c.destroy();
        await c.write(response(200, 'ok'));
      }
    });
    conn = new HttpConnection(server.url, { maxPipelined: 2 });
    await Promise.all(['/1', '/2', '/3', '/4', '/5'].map((path) => settle(conn!.fetch('GET', path))));
    expect(onSecond).toBe(1);
  });
});

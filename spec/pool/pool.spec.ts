import { firstValueFrom } from 'rxjs';
import { ConnectError, ConnectionClosed, RequestError } from '../../lib/errors';
import { HttpPool } from '../../lib/pool/pool';
import { CA, SERVER } from '../support/certs';
import { delay, settle, type Outcome } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';
import { untilClientLeaves } from '../support/scripts';
import type { HttpResponse } from '../../lib/response';

describe('HttpPool', () => {
  let server: ScriptServer | undefined;
  let pool: HttpPool | undefined;

  afterEach(async () => {
    pool?.destroy();
    await tearDown(undefined, server);
    server = pool = undefined;
  });

  /** Answers each request with its path after `delayFor(path)` ms, one connection's requests in order. */
  const delayed = (delayFor: (path: string) => number) =>
    ScriptServer.respondEach(async (req) => {
      await delay(delayFor(req.path));
      return response(200, req.path);
    });

  it('answers each request with its own response, over at most `connections` sockets', async () => {
    server = await delayed(() => 20);
    pool = new HttpPool(server.url, { connections: 3 });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => firstValueFrom(pool!.fetch('GET', `/${i}`))));
    expect(results.map((r) => r.text())).toEqual(Array.from({ length: 30 }, (_, i) => `/${i}`));
    expect(server.connections.length).toBe(3);
    expect(pool.pending).toBe(0);
  });

  it('uses an idle connection before opening another', async () => {
    server = await delayed(() => 0);
    pool = new HttpPool(server.url, { connections: 4 });
    for (let i = 0; i < 5; i++) await firstValueFrom(pool.fetch('GET', `/${i}`));
    expect(server.connections.length).toBe(1);
  });

  it('does not hold fast requests behind a slow one', async () => {
    server = await delayed((path) => (path === '/slow' ? 1500 : 2));
    pool = new HttpPool(server.url, { connections: 4, maxPipelined: 16 });
    const finished: string[] = [];
    const slow = firstValueFrom(pool.fetch('GET', '/slow')).then((r) => finished.push(r.text()));
    const fast = Array.from({ length: 60 }, (_, i) => firstValueFrom(pool!.fetch('GET', `/fast${i}`)).then((r) => finished.push(r.text())));
    await Promise.all(fast);
    expect(finished.length).toBe(60);
    expect(finished).not.toContain('/slow');
    await slow;
    expect(finished[60]).toBe('/slow');
  });

  it('writes nothing behind a response its caller gave up on while it is still read', async () => {
    server = await ScriptServer.start(async (c) => {
      for (;;) {
        const req = await c.nextRequest(Infinity).catch(() => null);
        if (req === null) return untilClientLeaves(c);
        if (req.path !== '/endless') {
          await c.write(response(200, req.path));
          continue;
        }
        await c.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
        for (let i = 0; i < 400 && !c.clientEnded; i++) {
          await c.write('3\r\nabc\r\n').catch(() => undefined);
          await delay(5);
        }
        return;
      }
    });
    pool = new HttpPool(server.url, { connections: 2 });
    // Warm both connections, so both have answered and may pipeline.
    await Promise.all([firstValueFrom(pool.fetch('GET', '/a')), firstValueFrom(pool.fetch('GET', '/b'))]);
    const endless = pool.request('GET', '/endless').subscribe();
    await delay(30);
    endless.unsubscribe();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => firstValueFrom(pool!.fetch('GET', `/after${i}`))));
    expect(results.map((r) => r.text())).toEqual(Array.from({ length: 10 }, (_, i) => `/after${i}`));
    const endlessConnection = server.connections.find((c) => c.received.toString('latin1').includes('/endless'))!;
    expect(endlessConnection.received.toString('latin1')).not.toContain('/after');
  });

  it('does not write behind a stalled endless stream while another connection is about to free up', async () => {
    server = await ScriptServer.start(async (c) => {
      for (;;) {
        const req = await c.nextRequest(Infinity).catch(() => null);
        if (req === null) return c.destroy();
        if (req.path === '/events') {
          await c.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
          for (let i = 0; i < 40 && !c.clientEnded; i++) {
            await c.write('5\r\n:hb\n\n\r\n').catch(() => undefined);
            await delay(100);
          }
          return c.destroy();
        }
        if (req.path === '/slow') await delay(600);
        await c.write(response(200, req.path)).catch(() => undefined);
      }
    });
    pool = new HttpPool(server.url, { connections: 2 });
    await Promise.all([firstValueFrom(pool.fetch('GET', '/warm1')), firstValueFrom(pool.fetch('GET', '/warm2'))]);
    const stream = pool.request('GET', '/events').subscribe({ error: () => undefined });
    const slow = firstValueFrom(pool.fetch('GET', '/slow'));
    await delay(200);
    const r = await settle(pool.fetch('GET', '/r'), 3_000);
    expect(r.values[0]?.text()).toBe('/r');
    await slow;
    stream.unsubscribe();
    const streamConnection = server.connections.find((c) => c.received.toString('latin1').includes('/events'))!;
    expect(streamConnection.received.toString('latin1')).not.toContain('GET /r ');
  });

  it('delivers every answer to its own request while the server closes at random, announced or not', async () => {
    // A fixed sequence of close plans: after how many responses, and whether announced.
    let plan = 0;
    server = await ScriptServer.start(async (c) => {
      const seed = plan++;
      const keep = 1 + ((seed * 7) % 5);
      const announce = seed % 3 === 0;
      for (let n = 1; ; n++) {
        const req = await c.nextRequest(Infinity).catch(() => null);
        if (req === null) return untilClientLeaves(c);
        const last = n === keep;
        await c.write(response(200, req.path, last && announce ? { Connection: 'close' } : {}));
        if (last) return c.end();
      }
    });
    pool = new HttpPool(server.url, { connections: 4, maxPipelined: 4 });
    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => settle(pool!.fetch('GET', `/${i}`), 10_000)));
    outcomes.forEach((outcome: Outcome<HttpResponse>, i) => {
      if (outcome.error === undefined) expect(outcome.values.map((r) => r.text())).toEqual([`/${i}`]);
      else
        expect(outcome.error instanceof ConnectionClosed && outcome.error.sent)
          .withContext(`${i}: ${outcome.error}`)
          .toBeTrue();
    });
    const succeeded = outcomes.filter((o) => o.error === undefined).length;
    expect(succeeded).toBeGreaterThan(100);
    // Never written a third time.
    const writes = new Map<string, number>();
    for (const req of server.requests) writes.set(req.path, (writes.get(req.path) ?? 0) + 1);
    expect(Math.max(...writes.values())).toBeLessThanOrEqual(2);
  });

  it('closes gracefully: pending requests finish, new ones are refused, sockets end', async () => {
    server = await delayed(() => 30);
    pool = new HttpPool(server.url, { connections: 2 });
    const pending = [1, 2, 3].map((i) => firstValueFrom(pool!.fetch('GET', `/${i}`)));
    const closed = pool.close();
    expect((await settle(pool.fetch('GET', '/late'))).error).toBeInstanceOf(ConnectionClosed);
    expect((await Promise.all(pending)).map((r) => r.text())).toEqual(['/1', '/2', '/3']);
    await closed;
    await Promise.all(server.connections.map((c) => c.closed));
    expect(pool.pending).toBe(0);
  });

  it('destroys at once: unfinished requests fail with ConnectionClosed, those never written with sent false', async () => {
    server = await ScriptServer.start(async (c) => {
      await c.nextRequest();
      await untilClientLeaves(c);
    });
    pool = new HttpPool(server.url, { connections: 1, maxPipelined: 1 });
    const first = settle(pool.fetch('GET', '/written'));
    const second = settle(pool.fetch('GET', '/waiting'));
    await server.waitForConnections(1);
    await delay(20);
    pool.destroy();
    const [a, b] = await Promise.all([first, second]);
    expect(a.error).toBeInstanceOf(ConnectionClosed);
    expect((a.error as ConnectionClosed).sent).toBeTrue();
    expect(b.error).toBeInstanceOf(ConnectionClosed);
    expect((b.error as ConnectionClosed).sent).toBeFalse();
    await expectAsync(pool.close()).toBeResolved();
  });

  it('fails every request with ConnectError, without a hang, when the origin refuses', async () => {
    const probe = await ScriptServer.start(() => undefined);
    const url = probe.url;
    await probe.close();
    pool = new HttpPool(url, { connections: 4 });
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => settle(pool!.fetch('GET', `/${i}`))));
    expect(outcomes.every((o) => o.error instanceof ConnectError)).toBeTrue();
    expect(pool.pending).toBe(0);
  });

  it('applies the connection options to each connection, TLS included', async () => {
    server = await ScriptServer.respondEach((req) => response(200, req.path), { tls: SERVER });
    pool = new HttpPool(server.url, { connections: 2, tls: { ca: CA } });
    const results = await Promise.all([firstValueFrom(pool.fetch('GET', '/x')), firstValueFrom(pool.fetch('GET', '/y'))]);
    expect(results.map((r) => r.text())).toEqual(['/x', '/y']);
  });

  it('refuses bad options and bad requests by name', async () => {
    expect(() => new HttpPool('http://127.0.0.1:1', { connections: 0 })).toThrowError(RangeError, /connections/);
    expect(() => new HttpPool('http://127.0.0.1:1', { maxPipelined: 0 })).toThrowError(RangeError, /maxPipelined/);
    expect(() => new HttpPool('http://127.0.0.1:1', { conections: 2 } as never)).toThrowError(TypeError, /conections/);
    pool = new HttpPool('http://127.0.0.1:1');
    expect((await settle(pool.fetch('GET', 'no-slash'))).error).toBeInstanceOf(RequestError);
  });
});

import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectionClosed } from '../../lib/errors';
import { countRequests, delay, settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { untilClientLeaves } from '../support/scripts';
import { tearDown } from '../support/fixture';

describe('HttpConnection lifecycle', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  describe('close()', () => {
    it('lets pending requests finish, then ends the socket', async () => {
      server = await ScriptServer.respondEach(async (req) => {
        await delay(20);
        return response(200, req.path);
      });
      conn = new HttpConnection(server.url);
      const outcomes = Promise.all(['/1', '/2', '/3'].map((p) => settle(conn!.fetch('GET', p))));
      await delay(5);
      await conn.close();
      expect((await outcomes).map((o) => o.values[0].text())).toEqual(['/1', '/2', '/3']);
      expect(conn.pending).toBe(0);
      await server.connections[0].closed;
    });

    it('refuses new requests with ConnectionClosed {sent: false}', async () => {
      server = await ScriptServer.respondEach(() => response(200));
      conn = new HttpConnection(server.url);
      await firstValueFrom(conn.fetch('GET', '/'));
      const closing = conn.close();
      const refused = await settle(conn.fetch('GET', '/late'));
      expect(refused.error).toBeInstanceOf(ConnectionClosed);
      expect((refused.error as ConnectionClosed).sent).toBeFalse();
      await closing;
      expect(server.requests.map((r) => r.path)).toEqual(['/']);
    });

    it('resolves at once when nothing was ever sent, and returns the same promise twice', async () => {
      conn = new HttpConnection('http://127.0.0.1:9');
      const first = conn.close();
      expect(conn.close()).toBe(first);
      await first;
    });

    it('writes the requests still waiting when close() is called', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path));
      conn = new HttpConnection(server.url, { maxPipelined: 1 });
      const outcomes = Promise.all(['/1', '/2', '/3'].map((p) => settle(conn!.fetch('GET', p))));
      await conn.close();
      expect((await outcomes).map((o) => o.values[0]?.text())).toEqual(['/1', '/2', '/3']);
    });
  });

  describe('destroy()', () => {
    it('errors written requests with sent: true and waiting ones with sent: false', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.nextRequest(Infinity).catch(() => c.end());
      });
      conn = new HttpConnection(server.url, { maxPipelined: 1 });
      const outcomes = Promise.all(['/1', '/2'].map((p) => settle(conn!.fetch('GET', p))));
      await server.waitForConnections(1);
      await delay(20);
      conn.destroy();
      const [written, waiting] = await outcomes;
      expect(written.error).toBeInstanceOf(ConnectionClosed);
      expect((written.error as ConnectionClosed).sent).toBeTrue();
      expect((waiting.error as ConnectionClosed).sent).toBeFalse();
      expect(conn.pending).toBe(0);
      await server.connections[0].closed;
    });

    it('refuses requests afterwards and settles a pending close()', async () => {
      server = await ScriptServer.start(async (c) => void (await c.nextRequest(Infinity).catch(() => undefined)));
      conn = new HttpConnection(server.url);
      const request = settle(conn.fetch('GET', '/'));
      await server.waitForConnections(1);
      const closing = conn.close();
      conn.destroy();
      await closing;
      expect((await request).error).toBeInstanceOf(ConnectionClosed);
      expect((await settle(conn.fetch('GET', '/'))).error).toBeInstanceOf(ConnectionClosed);
    });

    it('may be called from inside a response callback', async () => {
      server = await ScriptServer.respondEach(() => response(200, 'x'));
      conn = new HttpConnection(server.url);
      const c = conn;
      const events = new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        c.request('GET', '/1').subscribe({
          next: (e) => {
            seen.push(e.type);
            if (e.type === 'head') c.destroy();
          },
          complete: () => resolve([...seen, 'complete']),
          error: (err) => resolve([...seen, (err as Error).name]),
        });
      });
      const other = settle(c.fetch('GET', '/2'));
      expect(await events).toEqual(['head', 'ConnectionClosed']);
      expect((await other).error).toBeInstanceOf(ConnectionClosed);
    });
  });

  describe('unsubscribing', () => {
    it('before the request is written removes it from the queue', async () => {
      server = await ScriptServer.respondEach(async (req) => {
        await delay(30);
        return response(200, req.path);
      });
      conn = new HttpConnection(server.url, { maxPipelined: 1 });
      const first = settle(conn.fetch('GET', '/1'));
      const dropped = conn.fetch('GET', '/2').subscribe();
      const third = settle(conn.fetch('GET', '/3'));
      dropped.unsubscribe();
      expect(conn.pending).toBe(2);
      expect((await first).values[0].text()).toBe('/1');
      expect((await third).values[0].text()).toBe('/3');
      expect(server.requests.map((r) => r.path)).toEqual(['/1', '/3']);
    });

    it('after the request is written reads its response and throws it away', async () => {
      server = await ScriptServer.respondEach(async (req) => {
        await delay(20);
        return response(200, `body of ${req.path}`);
      });
      conn = new HttpConnection(server.url);
      const dropped = conn.fetch('GET', '/1').subscribe(() => fail('an unsubscribed request got its response'));
      const kept = settle(conn.fetch('GET', '/2'));
      await delay(5);
      dropped.unsubscribe();
      expect((await kept).values[0].text()).toBe('body of /2');
      expect((await firstValueFrom(conn.fetch('GET', '/3'))).text()).toBe('body of /3');
      expect(server.connections.length).toBe(1);
    });

    it('in the middle of a body keeps the pipeline in step', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc');
        await delay(20);
        await c.write('def' + response(200, 'second'));
      });
      conn = new HttpConnection(server.url);
      const firstEvents = firstValueFrom(conn.request('GET', '/1').pipe(take(2), toArray()));
      const second = settle(conn.fetch('GET', '/2'));
      expect((await firstEvents).map((e) => e.type)).toEqual(['head', 'data']);
      expect((await second).values[0].text()).toBe('second');
    });
  });

  describe('idle connections', () => {
    it('opens a new connection instead of reusing one past its Keep-Alive timeout', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path, { 'Keep-Alive': 'timeout=1, max=100' }));
      conn = new HttpConnection(server.url, { keepAliveTimeout: 60_000 });
      await firstValueFrom(conn.fetch('GET', '/1'));
      await delay(30);
      await firstValueFrom(conn.fetch('GET', '/2'));
      expect(server.connections.length).toBe(1);
      // timeout=1 less the margin (half of it, for so short a timeout): gone after 500 ms idle.
      await server.connections[0].closed;
      await firstValueFrom(conn.fetch('GET', '/3'));
      expect(server.connections.length).toBe(2);
    });

    it('drops an idle connection after keepAliveTimeout when the server gave no hint', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path));
      conn = new HttpConnection(server.url, { keepAliveTimeout: 30 });
      await firstValueFrom(conn.fetch('GET', '/1'));
      await server.connections[0].closed;
      await firstValueFrom(conn.fetch('GET', '/2'));
      expect(server.connections.length).toBe(2);
      expect(server.connections[0].clientEnded).toBeTrue();
    });

    it('reuses the connection within keepAliveTimeout', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path));
      conn = new HttpConnection(server.url, { keepAliveTimeout: 5_000 });
      await firstValueFrom(conn.fetch('GET', '/1'));
      await delay(30);
      await firstValueFrom(conn.fetch('GET', '/2'));
      expect(server.connections.length).toBe(1);
      expect(countRequests(server.connections[0].received)).toBe(2);
    });

    it('does not keep the process alive', async () => {
      server = await ScriptServer.respondEach(() => response(200, 'bye'));
      const run = await runChild(
        `
        new HttpConnection(url, { keepAliveTimeout: 60000, timeout: 60000 })
          .fetch('GET', '/').subscribe((res) => console.log(res.text()));
      `,
        server.url,
      );
      expect(run).toEqual({ code: 0, output: 'bye' });
    }, 30_000);
  });

  describe('leaving nothing behind', () => {
    // A child process must exit by itself: a timer or socket left running would hold it.
    it('lets the process exit after destroy() with requests in flight and waiting', async () => {
      server = await ScriptServer.start((c) => untilClientLeaves(c));
      const run = await runChild(
        `
        const conn = new HttpConnection(url, { maxPipelined: 1, expect100Timeout: 60000, timeout: 60000 });
        for (const p of ['/1', '/2', '/3']) conn.fetch('PUT', p, { body: 'x', expect100: true }).subscribe({ error: (e) => console.log(e.name) });
        setTimeout(() => conn.destroy(), 100);
      `,
        server.url,
      );
      expect(run).toEqual({ code: 0, output: 'ConnectionClosed\nConnectionClosed\nConnectionClosed' });
    }, 30_000);

    it('lets the process exit after close() once the pending requests are answered', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path));
      const run = await runChild(
        `
        const conn = new HttpConnection(url, { keepAliveTimeout: 60000, timeout: 60000 });
        for (const p of ['/1', '/2']) conn.fetch('GET', p).subscribe((res) => console.log(res.text()));
        conn.close().then(() => console.log('closed'));
      `,
        server.url,
      );
      expect(run).toEqual({ code: 0, output: '/1\n/2\nclosed' });
    }, 30_000);
  });
});

/**
 * Runs `body` in a child Node.js process with `HttpConnection` and `url` in
 * scope; resolves with its exit code (or the signal that had to stop it after
 * 8 s) and what it printed.
 */
async function runChild(body: string, url: string): Promise<{ code: unknown; output: string }> {
  const script = `const { HttpConnection } = require(${JSON.stringify(path.resolve(__dirname, '../../lib'))});
    const url = process.argv[1];
    ${body}`;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script, url], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  // Generous: compiling lib through ts-node in the child takes seconds on a busy machine.
  const killer = setTimeout(() => child.kill(), 25_000);
  const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(signal ?? c)));
  clearTimeout(killer);
  return { code, output: output.trim() };
}

import * as net from 'node:net';
import { firstValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { RequestError, ResponseTimeout } from '../../lib/errors';
import { delay, settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';
import { untilClientLeaves } from '../support/scripts';

/** A server that reads a request's first bytes and then stops reading, never answering. */
async function stopsReading(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.pause());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

/** 64 MiB in 64 KiB pieces: far more than the kernel's socket buffers hold. */
async function* huge(): AsyncGenerator<Uint8Array> {
  const piece = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 1024; i++) yield piece;
}

describe('timeouts', () => {
  let conn: HttpConnection | undefined;
  let server: ScriptServer | undefined;
  let silent: Awaited<ReturnType<typeof stopsReading>> | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    await silent?.close();
    conn = server = silent = undefined;
  });

  it('errors with ResponseTimeout when the server stops reading an upload and never answers', async () => {
    silent = await stopsReading();
    conn = new HttpConnection(silent.url, { timeout: 300 });
    const started = Date.now();
    const outcome = await settle(conn.fetch('PUT', '/upload', { body: huge() }), 5_000);
    const took = Date.now() - started;
    expect(outcome.error).toBeInstanceOf(ResponseTimeout);
    expect((outcome.error as Error).message).toContain('PUT /upload');
    expect((outcome.error as Error).message).toContain('body');
    // About the timeout: the kernel buffers fill first, then nothing moves.
    expect(took).toBeLessThan(3_000);
  });

  it('counts body bytes the server reads as progress, however long the upload', async () => {
    server = await ScriptServer.respondEach((req) => response(200, String(req.body.length)));
    conn = new HttpConnection(server.url, { timeout: 150 });
    // 20 pieces, one every 40 ms: 800 ms of upload, with no response byte meanwhile.
    async function* slow() {
      for (let i = 0; i < 20; i++) {
        await delay(40);
        yield Buffer.alloc(1000, 0x62);
      }
    }
    const outcome = await settle(conn.fetch('PUT', '/slow', { body: slow() }), 5_000);
    expect(outcome.error).toBeUndefined();
    expect(outcome.values[0]?.text()).toBe('20000');
  });

  it('lets RequestInit.timeout 0 wait longer than the connection timeout', async () => {
    server = await ScriptServer.start(async (c) => {
      const req = await c.nextRequest();
      await delay(400);
      await c.write(response(200, req.path));
      await untilClientLeaves(c);
    });
    conn = new HttpConnection(server.url, { timeout: 100 });
    const res = await firstValueFrom(conn.fetch('GET', '/stream', { timeout: 0 }));
    expect(res.text()).toBe('/stream');
  });

  it('lets RequestInit.timeout be shorter than the connection timeout, and names the request', async () => {
    server = await ScriptServer.start(async (c) => {
      await c.nextRequest();
      await untilClientLeaves(c);
    });
    conn = new HttpConnection(server.url, { timeout: 60_000 });
    const started = Date.now();
    const outcome = await settle(conn.fetch('GET', '/hasty?x=1', { timeout: 80 }));
    expect(outcome.error).toBeInstanceOf(ResponseTimeout);
    expect((outcome.error as Error).message).toContain('GET /hasty?x=1');
    expect((outcome.error as Error).message).toContain('80 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives each awaited request its own timeout as the pipeline advances', async () => {
    server = await ScriptServer.start(async (c) => {
      await c.nextRequest();
      await c.nextRequest();
      await c.write(response(200, 'first'));
      // The second response never comes.
      await untilClientLeaves(c);
    });
    conn = new HttpConnection(server.url, { timeout: 60_000 });
    const [first, second] = await Promise.all([
      settle(conn.fetch('GET', '/first')),
      settle(conn.fetch('GET', '/second', { timeout: 100 })),
    ]);
    expect(first.values[0]?.text()).toBe('first');
    expect(second.error).toBeInstanceOf(ResponseTimeout);
  });

  it('refuses an invalid RequestInit.timeout with RequestError, writing nothing', async () => {
    server = await ScriptServer.respondEach(() => response(200));
    conn = new HttpConnection(server.url);
    for (const timeout of [-1, Number.NaN, Infinity, 2 ** 31, '5' as unknown as number]) {
      const outcome = await settle(conn.fetch('GET', '/', { timeout }));
      expect(outcome.error).withContext(String(timeout)).toBeInstanceOf(RequestError);
      expect((outcome.error as Error).message).toContain('timeout');
    }
    expect(server.connections.length).toBe(0);
  });
});

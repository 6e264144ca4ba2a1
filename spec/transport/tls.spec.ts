import * as net from 'node:net';
import { firstValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectError } from '../../lib/errors';
import { CA, CLIENT, EXPIRED, OTHER, SERVER } from '../support/certs';
import { tearDown } from '../support/fixture';
import { settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';

/** A raw TCP server on 127.0.0.1 that does `onData` with the first bytes it gets. */
async function rawServer(onData: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => onData(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

describe('https: origins', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;
  let raw: Awaited<ReturnType<typeof rawServer>> | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    await raw?.close();
    server = conn = raw = undefined;
  });

  const echo = (options: Parameters<typeof ScriptServer.respondEach>[1]) =>
    ScriptServer.respondEach((req) => response(200, `${req.method} ${req.path} ${req.header('host')}`), options);

  it('speaks HTTP/1.1 over TLS, verified against the given CA, offering only http/1.1 by ALPN', async () => {
    server = await echo({ tls: { ...SERVER, ALPNProtocols: ['h2', 'http/1.1'] }, host: 'localhost' });
    conn = new HttpConnection(server.url, { tls: { ca: CA } });
    const res = await firstValueFrom(conn.fetch('GET', '/secure'));
    expect(res.text()).toBe(`GET /secure localhost:${server.port}`);
    expect(server.connections[0].tls).toEqual({ servername: 'localhost', alpn: 'http/1.1', resumed: false });
  });

  it('sends no SNI for an IP address, and still verifies the address against the certificate', async () => {
    server = await echo({ tls: SERVER });
    conn = new HttpConnection(server.url, { tls: { ca: CA } });
    expect((await firstValueFrom(conn.fetch('GET', '/'))).status).toBe(200);
    expect(server.connections[0].tls?.servername).toBeFalse();
  });

  it('pipelines twenty requests on one TLS connection', async () => {
    server = await echo({ tls: SERVER });
    conn = new HttpConnection(server.url, { tls: { ca: CA }, maxPipelined: 20 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => firstValueFrom(conn!.fetch('GET', `/${i}`))));
    expect(results.map((r) => r.text().split(' ')[1])).toEqual(Array.from({ length: 20 }, (_, i) => `/${i}`));
    expect(server.connections.length).toBe(1);
  });

  it('resumes the TLS session when it reconnects', async () => {
    server = await ScriptServer.respondEach((req) => response(200, req.path, { Connection: 'close' }), { tls: SERVER, host: 'localhost' });
    conn = new HttpConnection(server.url, { tls: { ca: CA } });
    await firstValueFrom(conn.fetch('GET', '/first'));
    await firstValueFrom(conn.fetch('GET', '/second'));
    expect(server.connections.length).toBe(2);
    expect(server.connections.map((c) => c.tls?.resumed)).toEqual([false, true]);
  });

  it('presents a client certificate when the server asks for one', async () => {
    server = await echo({ tls: { ...SERVER, ca: CA, requestCert: true, rejectUnauthorized: true } });
    conn = new HttpConnection(server.url, { tls: { ca: CA, ...CLIENT } });
    expect((await firstValueFrom(conn.fetch('GET', '/mtls'))).status).toBe(200);
  });

  for (const [what, serverTls, clientTls, words, code] of [
    ['an untrusted certificate', SERVER, {}, 'not trusted', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['an expired certificate', EXPIRED, { ca: CA }, 'expired', 'CERT_HAS_EXPIRED'],
    ['a certificate for another host', OTHER, { ca: CA }, 'another host name', 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ] as const) {
    it(`fails with ConnectError naming the host and the reason for ${what}, and close() settles at once`, async () => {
      server = await echo({ tls: serverTls, host: 'localhost' });
      conn = new HttpConnection(server.url, { tls: clientTls });
      const outcome = await settle(conn.fetch('GET', '/'));
      expect(outcome.error).toBeInstanceOf(ConnectError);
      const err = outcome.error as ConnectError;
      expect(err.message).toContain(`localhost:${server.port}`);
      expect(err.message).toContain(words);
      expect((err.cause as NodeJS.ErrnoException).code).toBe(code);
      const closing = conn.close();
      await expectAsync(closing).toBeResolved();
      conn.destroy();
    });
  }

  it('connects despite a bad certificate when rejectUnauthorized is false', async () => {
    server = await echo({ tls: EXPIRED });
    conn = new HttpConnection(server.url, { tls: { rejectUnauthorized: false } });
    expect((await firstValueFrom(conn.fetch('GET', '/'))).status).toBe(200);
  });

  it('fails with ConnectError saying so when a plain-HTTP server is on the TLS port', async () => {
    raw = await rawServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    conn = new HttpConnection(`https://127.0.0.1:${raw.port}`, { tls: { ca: CA } });
    const outcome = await settle(conn.fetch('GET', '/'));
    expect(outcome.error).toBeInstanceOf(ConnectError);
    expect((outcome.error as Error).message).toContain(`127.0.0.1:${raw.port}`);
    expect((outcome.error as Error).message).toContain('plain-HTTP');
  });

  it('fails with ConnectError when the server resets the handshake, and destroy() settles at once', async () => {
    raw = await rawServer((socket) => socket.resetAndDestroy());
    conn = new HttpConnection(`https://127.0.0.1:${raw.port}`, { tls: { ca: CA } });
    const outcome = await settle(conn.fetch('GET', '/'));
    expect(outcome.error).toBeInstanceOf(ConnectError);
    expect((outcome.error as Error).message).toMatch(/reset|closed during the TLS handshake/);
    conn.destroy();
    await expectAsync(conn.close()).toBeResolved();
  });

  it('bounds the TLS handshake by connectTimeout', async () => {
    // Accepts the TCP connection, then never answers the ClientHello.
    raw = await rawServer(() => undefined);
    conn = new HttpConnection(`https://127.0.0.1:${raw.port}`, { tls: { ca: CA }, connectTimeout: 150 });
    const started = Date.now();
    const outcome = await settle(conn.fetch('GET', '/'));
    expect(outcome.error).toBeInstanceOf(ConnectError);
    expect((outcome.error as Error).message).toContain('connectTimeout (150 ms)');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

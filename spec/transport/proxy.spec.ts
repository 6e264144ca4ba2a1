import { firstValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectError } from '../../lib/errors';
import { CA, SERVER } from '../support/certs';
import { ConnectProxy } from '../support/connect-proxy';
import { tearDown } from '../support/fixture';
import { settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';

describe('CONNECT proxies', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;
  let proxy: ConnectProxy | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    await proxy?.close();
    server = conn = proxy = undefined;
  });

  const echo = (options: Parameters<typeof ScriptServer.respondEach>[1] = {}) =>
    ScriptServer.respondEach((req) => response(200, `${req.method} ${req.path} ${req.header('host')}`), options);

  it('tunnels an http: origin, leaving its name to the proxy, and pipelines through the tunnel', async () => {
    server = await echo();
    // A name that cannot resolve here: only the proxy knows where it goes.
    proxy = await ConnectProxy.start({ routes: { 'origin.invalid:80': server.port } });
    conn = new HttpConnection('http://origin.invalid', { proxy: proxy.url() });
    const results = await Promise.all([1, 2, 3].map((i) => firstValueFrom(conn!.fetch('GET', `/${i}`))));
    expect(results.map((r) => r.text())).toEqual(['GET /1 origin.invalid', 'GET /2 origin.invalid', 'GET /3 origin.invalid']);
    expect(proxy.requests.map((r) => r.target)).toEqual(['origin.invalid:80']);
    expect(proxy.requests[0].headers.host).toBe('origin.invalid:80');
    expect(server.connections.length).toBe(1);
  });

  it("runs TLS inside the tunnel for an https: origin, with the origin's SNI and verification", async () => {
    server = await echo({ tls: SERVER });
    proxy = await ConnectProxy.start({ routes: { [`localhost:${server.port}`]: server.port } });
    conn = new HttpConnection(`https://localhost:${server.port}`, { proxy: proxy.url(), tls: { ca: CA } });
    const res = await firstValueFrom(conn.fetch('GET', '/secure'));
    expect(res.text()).toBe(`GET /secure localhost:${server.port}`);
    expect(server.connections[0].tls?.servername).toBe('localhost');
    expect(proxy.requests[0].target).toBe(`localhost:${server.port}`);
  });

  it("sends the URL's percent-decoded credentials as Proxy-Authorization: Basic", async () => {
    server = await echo();
    proxy = await ConnectProxy.start({ credentials: 'alice:p@ss:w', routes: { 'origin.invalid:80': server.port } });
    conn = new HttpConnection('http://origin.invalid', { proxy: proxy.url('alice:p%40ss%3Aw') });
    expect((await firstValueFrom(conn.fetch('GET', '/'))).status).toBe(200);
    expect(proxy.requests[0].headers['proxy-authorization']).toBe(`Basic ${Buffer.from('alice:p@ss:w').toString('base64')}`);
  });

  it('fails with ConnectError naming 407 when the proxy wants credentials', async () => {
    proxy = await ConnectProxy.start({ credentials: 'alice:secret', routes: {} });
    conn = new HttpConnection('http://origin.invalid', { proxy: proxy.url() });
    const outcome = await settle(conn.fetch('GET', '/'));
    expect(outcome.error).toBeInstanceOf(ConnectError);
    expect((outcome.error as Error).message).toContain('407');
    expect((outcome.error as Error).message).toContain('proxy authentication required');
    expect((outcome.error as Error).message).toContain('origin.invalid:80');
    const wrong = new HttpConnection('http://origin.invalid', { proxy: proxy.url('alice:guess') });
    const refused = await settle(wrong.fetch('GET', '/'));
    expect((refused.error as Error).message).toContain('refused the credentials');
    expect((refused.error as Error).message).not.toContain('guess');
    wrong.destroy();
  });

  it('fails with ConnectError naming the status when the proxy refuses the tunnel', async () => {
    proxy = await ConnectProxy.start({ status: 403 });
    conn = new HttpConnection('https://origin.invalid', { proxy: proxy.url() });
    const outcome = await settle(conn.fetch('GET', '/'));
    expect(outcome.error).toBeInstanceOf(ConnectError);
    expect((outcome.error as Error).message).toContain('403');
    await expectAsync(conn.close()).toBeResolved();
  });

  it('fails with ConnectError when the proxy hangs up, or cannot be reached', async () => {
    proxy = await ConnectProxy.start({ hangUp: true });
    conn = new HttpConnection('http://origin.invalid', { proxy: proxy.url() });
    const hungUp = await settle(conn.fetch('GET', '/'));
    expect(hungUp.error).toBeInstanceOf(ConnectError);
    expect((hungUp.error as Error).message).toContain('before answering CONNECT');
    const port = proxy.port;
    await proxy.close();
    proxy = undefined;
    const gone = new HttpConnection('http://origin.invalid', { proxy: `http://127.0.0.1:${port}` });
    const unreachable = await settle(gone.fetch('GET', '/'));
    expect(unreachable.error).toBeInstanceOf(ConnectError);
    expect((unreachable.error as Error).message).toContain(`could not reach the proxy 127.0.0.1:${port}`);
    expect(((unreachable.error as ConnectError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    gone.destroy();
  });

  it('builds a new tunnel for every reconnect', async () => {
    server = await ScriptServer.respondEach((req) => response(200, req.path, { Connection: 'close' }));
    proxy = await ConnectProxy.start({ routes: { 'origin.invalid:80': server.port } });
    conn = new HttpConnection('http://origin.invalid', { proxy: proxy.url() });
    const [a, b] = await Promise.all([firstValueFrom(conn.fetch('GET', '/a')), firstValueFrom(conn.fetch('GET', '/b'))]);
    expect([a.text(), b.text()]).toEqual(['/a', '/b']);
    expect(proxy.requests.length).toBe(2);
    expect(server.connections.length).toBe(2);
  });
});

import { firstValueFrom } from 'rxjs';
import { ConnectError, ConnectionClosed, RequestError } from '../../lib/errors';
import { HttpAgent } from '../../lib/pool/agent';
import { CA, SERVER } from '../support/certs';
import { settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';

describe('HttpAgent', () => {
  const servers: ScriptServer[] = [];
  let agent: HttpAgent | undefined;

  afterEach(async () => {
    agent?.destroy();
    await Promise.all(servers.map((s) => s.close()));
    for (const s of servers) expect(s.errors).toEqual([]);
    servers.length = 0;
    agent = undefined;
  });

  const echo = async (name: string, options = {}) => {
    const server = await ScriptServer.respondEach((req) => response(200, `${name} ${req.path} ${req.header('host')}`), options);
    servers.push(server);
    return server;
  };

  it('sends each absolute URL to its own origin, one pool per origin', async () => {
    const [a, b, c] = [await echo('a'), await echo('b'), await echo('c', { tls: SERVER })];
    agent = new HttpAgent({ connectionsPerOrigin: 2, tls: { ca: CA } });
    const urls = [`${a.url}/one?x=1`, `${b.url}/two`, `${c.url}/three`, `${a.url}/four#frag`, new URL('/five', b.url)];
    const results = await Promise.all(urls.map((url) => firstValueFrom(agent!.fetch('GET', url))));
    expect(results.map((r) => r.text())).toEqual([
      `a /one?x=1 127.0.0.1:${a.port}`,
      `b /two 127.0.0.1:${b.port}`,
      `c /three 127.0.0.1:${c.port}`,
      `a /four 127.0.0.1:${a.port}`,
      `b /five 127.0.0.1:${b.port}`,
    ]);
    expect(agent.pending).toBe(0);
  });

  it('errors a relative, non-http(s) or credentialed URL with RequestError, writing nothing', async () => {
    agent = new HttpAgent();
    for (const url of ['/relative', 'ftp://127.0.0.1/x', 'http://user:pw@127.0.0.1:1/', 'not a url']) {
      const outcome = await settle(agent.fetch('GET', url));
      expect(outcome.error).withContext(url).toBeInstanceOf(RequestError);
      expect((outcome.error as Error).message).not.toContain('pw@');
    }
  });

  it('gives ConnectError for a refused origin while the others answer', async () => {
    const up = await echo('up');
    const down = await ScriptServer.start(() => undefined);
    const downUrl = down.url;
    await down.close();
    agent = new HttpAgent();
    const [ok, refused] = await Promise.all([settle(agent.fetch('GET', `${up.url}/`)), settle(agent.fetch('GET', `${downUrl}/`))]);
    expect(ok.values[0]?.status).toBe(200);
    expect(refused.error).toBeInstanceOf(ConnectError);
  });

  it('closes every pool: pending requests finish, later ones are refused', async () => {
    const [a, b] = [await echo('a'), await echo('b')];
    agent = new HttpAgent();
    const pending = [firstValueFrom(agent.fetch('GET', `${a.url}/1`)), firstValueFrom(agent.fetch('GET', `${b.url}/2`))];
    await agent.close();
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([200, 200]);
    expect((await settle(agent.fetch('GET', `${a.url}/late`))).error).toBeInstanceOf(ConnectionClosed);
    await Promise.all([...a.connections, ...b.connections].map((c) => c.closed));
  });

  it('refuses bad options by name', () => {
    expect(() => new HttpAgent({ connectionsPerOrigin: 0 })).toThrowError(RangeError, /connectionsPerOrigin/);
    expect(() => new HttpAgent({ timeout: -1 })).toThrowError(RangeError, /timeout/);
    expect(() => new HttpAgent({ connections: 2 } as never)).toThrowError(TypeError, /connections/);
  });
});

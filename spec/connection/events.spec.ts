import * as diagnostics from 'node:diagnostics_channel';
import { firstValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import type { ConnectionEvent } from '../../lib/events';
import { HttpAgent } from '../../lib/pool/agent';
import { HttpPool } from '../../lib/pool/pool';
import { CA, SERVER } from '../support/certs';
import { delay, settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';
import { untilClientLeaves } from '../support/scripts';

/** A compact line per event, without timings. */
function describe_(event: ConnectionEvent): string {
  switch (event.type) {
    case 'connect':
      return `connect ${event.connection} ${event.tls === null ? 'plain' : `${event.tls.protocol} resumed=${event.tls.resumed}`}`;
    case 'written':
      return `written ${event.method} ${event.path} #${event.writes}`;
    case 'head':
      return `head ${event.path} ${event.status}`;
    case 'resent':
      return `resent ${event.path}`;
    case 'disconnect':
      return `disconnect announced=${event.announced} ${event.cause === null ? 'clean' : (event.cause as Error).name}`;
    case 'timeout':
      return `timeout ${event.path}`;
  }
}

describe('connection events', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  it('reports connect, written, head, resent and disconnect in order, naming the origin', async () => {
    server = await ScriptServer.start(async (c) => {
      if (c.index === 0) {
        await c.nextRequest();
        await c.nextRequest();
        await c.write(response(200, 'a', { Connection: 'close' }));
        return c.end();
      }
      const req = await c.nextRequest();
      await c.write(response(200, req.path));
      await untilClientLeaves(c);
    });
    conn = new HttpConnection(server.url);
    const events: ConnectionEvent[] = [];
    conn.events.subscribe((e) => events.push(e));
    await Promise.all([firstValueFrom(conn.fetch('GET', '/a')), firstValueFrom(conn.fetch('GET', '/b'))]);
    await delay(20);
    expect(events.map(describe_)).toEqual([
      'connect 0 plain',
      'written GET /a #1',
      'written GET /b #1',
      'head /a 200',
      'resent /b',
      'disconnect announced=true clean',
      'connect 0 plain',
      'written GET /b #2',
      'head /b 200',
    ]);
    expect(events.every((e) => e.origin === server!.url)).toBeTrue();
    const connect = events[0];
    expect(connect.type === 'connect' && connect.address).toBe(`127.0.0.1:${server.port}`);
  });

  it('reports a timeout, then the disconnect it causes', async () => {
    server = await ScriptServer.start(async (c) => {
      await c.nextRequest();
      await untilClientLeaves(c);
    });
    conn = new HttpConnection(server.url, { timeout: 50 });
    const events: string[] = [];
    conn.events.subscribe((e) => events.push(describe_(e)));
    await settle(conn.fetch('GET', '/slow'));
    expect(events).toEqual(['connect 0 plain', 'written GET /slow #1', 'timeout /slow', 'disconnect announced=false ResponseTimeout']);
  });

  it('reports the TLS version and session resumption on connect', async () => {
    server = await ScriptServer.respondEach(() => response(200, 'ok', { Connection: 'close' }), { tls: SERVER });
    conn = new HttpConnection(server.url, { tls: { ca: CA } });
    const connects: string[] = [];
    conn.events.subscribe((e) => e.type === 'connect' && connects.push(describe_(e)));
    await firstValueFrom(conn.fetch('GET', '/1'));
    await firstValueFrom(conn.fetch('GET', '/2'));
    expect(connects).toEqual(['connect 0 TLSv1.3 resumed=false', 'connect 0 TLSv1.3 resumed=true']);
  });

  it('numbers the connections of a pool, and an agent names each origin', async () => {
    server = await ScriptServer.respondEach(async (req) => {
      await delay(20);
      return response(200, req.path);
    });
    const pool = new HttpPool(server.url, { connections: 3 });
    const connections = new Set<number>();
    pool.events.subscribe((e) => e.type === 'connect' && connections.add(e.connection));
    await Promise.all([1, 2, 3].map((i) => firstValueFrom(pool.fetch('GET', `/${i}`))));
    expect([...connections].sort()).toEqual([0, 1, 2]);
    pool.destroy();

    const other = await ScriptServer.respondEach(() => response(200));
    const agent = new HttpAgent();
    const origins = new Set<string>();
    agent.events.subscribe((e) => origins.add(e.origin));
    await Promise.all([firstValueFrom(agent.fetch('GET', `${server.url}/x`)), firstValueFrom(agent.fetch('GET', `${other.url}/y`))]);
    expect([...origins].sort()).toEqual([server.url, other.url].sort());
    agent.destroy();
    await other.close();
  });
});

describe('diagnostics channels', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;
  const names = [
    'httpio:request:create',
    'httpio:request:headers',
    'httpio:request:end',
    'httpio:request:error',
    'httpio:connection:connect',
    'httpio:connection:close',
  ];
  let seen: Array<{ name: string; message: Record<string, unknown> }>;
  const listeners = names.map(
    (name) => [name, (message: unknown) => seen.push({ name, message: message as Record<string, unknown> })] as const,
  );

  beforeEach(() => {
    seen = [];
    for (const [name, listener] of listeners) diagnostics.subscribe(name, listener);
  });

  afterEach(async () => {
    for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
    await tearDown(conn, server);
    server = conn = undefined;
  });

  it('publishes a request from create to end with one request object, and the connection around it', async () => {
    server = await ScriptServer.respondEach((req) => response(201, req.path));
    conn = new HttpConnection(server.url);
    await firstValueFrom(conn.fetch('POST', '/items', { body: 'x' }));
    conn.destroy();
    await delay(10);
    expect(seen.map((s) => s.name)).toEqual([
      'httpio:request:create',
      'httpio:connection:connect',
      'httpio:request:headers',
      'httpio:request:end',
      'httpio:connection:close',
    ]);
    const request = seen[0].message.request;
    expect(request).toEqual({ origin: server.url, method: 'POST', path: '/items' });
    expect(seen[2].message.request).toBe(request);
    expect(seen[3].message.request).toBe(request);
    expect((seen[2].message.response as { status: number }).status).toBe(201);
  });

  it('publishes the error of a failed request', async () => {
    const gone = await ScriptServer.start(() => undefined);
    const url = gone.url;
    await gone.close();
    conn = new HttpConnection(url);
    await settle(conn.fetch('GET', '/'));
    const error = seen.find((s) => s.name === 'httpio:request:error');
    expect((error?.message.error as Error)?.name).toBe('ConnectError');
    expect(error?.message.request).toBe(seen[0].message.request);
  });
});

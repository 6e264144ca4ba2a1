import { HttpConnection } from '../../lib/connection/connection';
import { ConnectError, ConnectionClosed, InvalidResponse, RequestError } from '../../lib/errors';
import { delay, settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';
import { read, untilClientLeaves } from '../support/scripts';

describe('errors that say which request', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  it('says how many body bytes of how many arrived when a body is cut', async () => {
    server = await ScriptServer.start(async (c) => {
      await c.nextRequest();
      await c.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n${'x'.repeat(400)}`);
      await c.end();
    });
    conn = new HttpConnection(server.url);
    const outcome = await settle(conn.fetch('GET', '/cut?page=2'));
    expect(outcome.error).toBeInstanceOf(ConnectionClosed);
    expect((outcome.error as Error).message).toBe('GET /cut?page=2: the connection closed after 400 of 1000 body bytes');
  });

  it('says where a chunked body was cut, and where a head was', async () => {
    server = await ScriptServer.start(async (c) => {
      const req = await c.nextRequest();
      if (req.path === '/chunked') await c.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n8\r\nabc');
      else await c.write('HTTP/1.1 200 OK\r\nContent-Le');
      await c.end();
    });
    conn = new HttpConnection(server.url);
    const chunked = await settle(conn.fetch('GET', '/chunked'));
    expect((chunked.error as Error).message).toBe(
      'GET /chunked: the connection closed after 8 body bytes, in the middle of a chunked body',
    );
    const head = await settle(conn.fetch('GET', '/head'));
    expect((head.error as Error).message).toBe('GET /head: the connection closed before the response head was complete');
  });

  it('names each request of a pipeline, and the fault ahead as the cause of those behind it', async () => {
    server = await ScriptServer.start(async (c) => {
      if (c.index > 0) return untilClientLeaves(c);
      await read(c, 3);
      await c.write(response(200, 'one') + 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n');
      await untilClientLeaves(c);
    });
    conn = new HttpConnection(server.url);
    const [one, two, three] = await Promise.all(['/1', '/2', '/3'].map((path) => settle(conn!.fetch('PUT', path, { body: 'x' }))));
    expect(one.values[0]?.text()).toBe('one');
    expect(two.error).toBeInstanceOf(InvalidResponse);
    expect((two.error as Error).message).toMatch(/^PUT \/2: /);
    expect(three.error).toBeInstanceOf(ConnectionClosed);
    expect((three.error as Error).message).toMatch(/^PUT \/3: the connection was lost before the response: PUT \/2: /);
    expect((three.error as Error).cause).toBe(two.error);
  });

  it('gives a clean close no cause, and a reset its errno error as cause', async () => {
    server = await ScriptServer.start(async (c) => {
      const req = await c.nextRequest();
      await delay(20);
      if (req.path === '/clean') await c.end();
      else c.reset();
    });
    conn = new HttpConnection(server.url);
    const clean = await settle(conn.fetch('GET', '/clean'));
    expect(clean.error).toBeInstanceOf(ConnectionClosed);
    expect((clean.error as Error).message).toBe('GET /clean: the server closed the connection before the response ended');
    expect((clean.error as Error).cause).toBeUndefined();
    const reset = await settle(conn.fetch('GET', '/reset'));
    expect((reset.error as Error).message).toMatch(/^GET \/reset: /);
    expect(((reset.error as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  });

  it('names the request in a RequestError and in a ConnectError', async () => {
    const gone = await ScriptServer.start(() => undefined);
    const url = gone.url;
    await gone.close();
    conn = new HttpConnection(url);
    const bad = await settle(conn.fetch('GET', '/x', { headers: { 'x-a': 'a\r\nb' } }));
    expect(bad.error).toBeInstanceOf(RequestError);
    expect((bad.error as Error).message).toBe('GET /x: invalid value for header x-a: it holds CR');
    const refused = await settle(conn.fetch('DELETE', '/items/7'));
    expect(refused.error).toBeInstanceOf(ConnectError);
    expect((refused.error as Error).message).toMatch(/^DELETE \/items\/7: could not connect to 127\.0\.0\.1:\d+: ECONNREFUSED$/);
    expect(((refused.error as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

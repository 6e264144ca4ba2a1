import { Observable, of } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectionClosed, RequestError } from '../../lib/errors';
import { delay, settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';
import { read, untilClientLeaves } from '../support/scripts';

describe('resendIdempotent', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  /** The first connection takes `n` requests, answers none, and resets; later ones answer everything. */
  const dropsFirst = (n: number, later: 'answer' | 'drop' = 'answer') =>
    ScriptServer.start(async (c) => {
      if (c.index === 0 || later === 'drop') {
        await read(c, n);
        await delay(10);
        return c.reset();
      }
      for (;;) {
        const req = await c.nextRequest(Infinity).catch(() => null);
        if (req === null) return untilClientLeaves(c).catch(() => undefined);
        await c.write(response(200, `${req.method} ${req.path} ${req.body.toString()}`));
      }
    });

  it('re-sends written idempotent requests with replayable bodies once, and fails the others as sent', async () => {
    server = await dropsFirst(4);
    conn = new HttpConnection(server.url, { resendIdempotent: true });
    const [get, put, post, streamed] = await Promise.all([
      settle(conn.fetch('GET', '/a')),
      settle(conn.fetch('PUT', '/b', { body: 'data' })),
      settle(conn.fetch('POST', '/c', { body: 'x' })),
      settle(conn.fetch('PUT', '/d', { body: of('s') })),
    ]);
    expect(get.values[0]?.text()).toBe('GET /a ');
    expect(put.values[0]?.text()).toBe('PUT /b data');
    expect(post.error).toBeInstanceOf(ConnectionClosed);
    expect((post.error as ConnectionClosed).sent).toBeTrue();
    expect(streamed.error).toBeInstanceOf(ConnectionClosed);
    const second = server.requests.filter((r) => r.path === '/a' || r.path === '/b');
    expect(second.length).toBe(4); // each written twice: once on each connection
  });

  it('is off by default, and can be turned on or off per request', async () => {
    server = await dropsFirst(3);
    conn = new HttpConnection(server.url);
    const [plain, chosen, refused] = await Promise.all([
      settle(conn.fetch('GET', '/plain')),
      settle(conn.fetch('GET', '/chosen', { resendIdempotent: true })),
      settle(conn.fetch('DELETE', '/refused', { resendIdempotent: false })),
    ]);
    expect(plain.error).toBeInstanceOf(ConnectionClosed);
    expect(chosen.values[0]?.text()).toBe('GET /chosen ');
    expect(refused.error).toBeInstanceOf(ConnectionClosed);
  });

  it('never writes a request a third time', async () => {
    server = await dropsFirst(1, 'drop');
    conn = new HttpConnection(server.url, { resendIdempotent: true });
    const outcome = await settle(conn.fetch('GET', '/twice'));
    expect(outcome.error).toBeInstanceOf(ConnectionClosed);
    expect((outcome.error as ConnectionClosed).sent).toBeTrue();
    expect(server.requests.filter((r) => r.path === '/twice').length).toBe(2);
  });

  it('does not re-send a request part of whose response was delivered', async () => {
    server = await ScriptServer.start(async (c) => {
      await c.nextRequest();
      await c.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf');
      await delay(20);
      c.reset();
    });
    conn = new HttpConnection(server.url, { resendIdempotent: true });
    const events: string[] = [];
    const outcome = await settle(
      new Observable<string>((subscriber) =>
        conn!.request('GET', '/partial').subscribe({
          next: (event) => events.push(event.type),
          error: (err) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
      ),
    );
    expect(outcome.error).toBeInstanceOf(ConnectionClosed);
    expect(events).toEqual(['head', 'data']);
    expect(server.requests.length).toBe(1);
  });

  it('refuses a non-boolean, naming it', async () => {
    expect(() => new HttpConnection('http://127.0.0.1:1', { resendIdempotent: 'yes' as never })).toThrowError(
      TypeError,
      /resendIdempotent/,
    );
    conn = new HttpConnection('http://127.0.0.1:1');
    expect((await settle(conn.fetch('GET', '/', { resendIdempotent: 1 as never }))).error).toBeInstanceOf(RequestError);
  });
});

import { firstValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectionClosed, InvalidResponse, ResponseTimeout, UnsupportedResponse } from '../../lib/errors';
import { DEFAULT_OPTIONS } from '../../lib/options';
import { countRequests, delay, settle } from '../support/observe';
import { ScriptServer, response, type ServerConnection } from '../support/script-server';
import { generate, untilClientLeaves } from '../support/scripts';
import { tearDown } from '../support/fixture';

// What README.md, docs/connection.md and docs/transfers.md promise, one claim per spec.

/** Answers each request with its path and body, until the client leaves. */
async function echoEach(c: ServerConnection): Promise<void> {
  for (;;) {
    const req = await c.nextRequest(Infinity).catch(() => null);
    if (req === null) return;
    await c.write(response(200, `${req.path} ${req.body.toString()}`.trim()));
  }
}

/** Resolves true once `c` has received `text`, false after `timeoutMs`. */
async function receives(c: ServerConnection, text: string, timeoutMs = 2000): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 5) {
    if (c.received.includes(text)) return true;
    await delay(5);
  }
  return false;
}

describe('HttpConnection, as documented', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  describe('options', () => {
    it('has the documented defaults, and no others', () => {
      expect({ ...DEFAULT_OPTIONS }).toEqual({
        maxPipelined: 10,
        timeout: 60_000,
        connectTimeout: 10_000,
        expect100Timeout: 1_000,
        keepAliveTimeout: 4_000,
        maxHeaderSize: 65_536,
        maxResponseSize: Infinity,
        resendIdempotent: false,
      });
      expect(Object.isFrozen(DEFAULT_OPTIONS)).toBeTrue();
    });
  });

  describe('timeout', () => {
    /** A server that answers every request 150 ms after it arrives. */
    function slowServer(): Promise<ScriptServer> {
      return ScriptServer.respondEach(async (req) => {
        await delay(150);
        return response(200, req.path);
      });
    }

    it('means no response timeout when it is 0', async () => {
      server = await slowServer();
      conn = new HttpConnection(server.url, { timeout: 0 });
      const outcome = await settle(conn.fetch('GET', '/patient'));
      expect(outcome.error).toBeUndefined();
      expect(outcome.values[0]?.text()).toBe('/patient');
    });

    it('errors with ResponseTimeout from the same slow server when it is 50 ms', async () => {
      server = await slowServer();
      conn = new HttpConnection(server.url, { timeout: 50 });
      expect((await settle(conn.fetch('GET', '/hasty'))).error).toBeInstanceOf(ResponseTimeout);
    });

    for (const [kind, body] of [
      ['a string body', () => 'held body'],
      ['a streamed body', () => generate(['held ', 'body'])],
    ] as const) {
      it(`does not run while the awaited request's body is held for 100 Continue, and restarts when ${kind} goes out`, async () => {
        // Silent until the body arrives, which is after expect100Timeout: three times `timeout`.
        server = await ScriptServer.start(async (c) => {
          const req = await c.nextRequest();
          await delay(60);
          await c.write(response(200, req.body.toString()));
        });
        conn = new HttpConnection(server.url, { timeout: 100, expect100Timeout: 300 });
        const outcome = await settle(conn.fetch('PUT', '/held', { body: body(), expect100: true }));
        expect(outcome.error).toBeUndefined();
        expect(outcome.values[0]?.text()).toBe('held body');
      });
    }

    it('fails the requests written behind a ResponseTimeout with ConnectionClosed {sent: true}, and writes the waiting ones on a new connection', async () => {
      server = await ScriptServer.start(async (c) => {
        if (c.index === 0) return untilClientLeaves(c); // reads, never answers
        return echoEach(c);
      });
      conn = new HttpConnection(server.url, { timeout: 100, maxPipelined: 2 });
      const outcomes = await Promise.all(['/1', '/2', '/3', '/4'].map((p) => settle(conn!.fetch('GET', p))));
      expect(outcomes[0].error).toBeInstanceOf(ResponseTimeout);
      expect(outcomes[1].error).toBeInstanceOf(ConnectionClosed);
      expect((outcomes[1].error as ConnectionClosed).sent).toBeTrue();
      expect(outcomes.slice(2).map((o) => o.values[0]?.text())).toEqual(['/3', '/4']);
      // /3 and /4 were never written on the first connection; /2 was, and is not re-sent.
      expect(countRequests(server.connections[0].received)).toBe(2);
      expect(server.connections.length).toBe(2);
      expect(server.connections[1].received.toString('latin1')).not.toContain('GET /2 ');
    });
  });

  describe('faults', () => {
    it('writes the waiting requests on a new connection after an InvalidResponse, and they complete', async () => {
      server = await ScriptServer.start(async (c) => {
        if (c.index > 0) return echoEach(c);
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx');
        await untilClientLeaves(c);
      });
      conn = new HttpConnection(server.url, { maxPipelined: 1 });
      const outcomes = await Promise.all(['/1', '/2', '/3'].map((p) => settle(conn!.fetch('GET', p))));
      expect(outcomes[0].error).toBeInstanceOf(InvalidResponse);
      expect(outcomes.slice(1).map((o) => o.values[0]?.text())).toEqual(['/2', '/3']);
      expect(countRequests(server.connections[0].received)).toBe(1);
      expect(server.connections.length).toBe(2);
    });

    it('drops the connection after an UnsupportedResponse: the next request goes on a new one', async () => {
      server = await ScriptServer.respondEach((req, _c, i) =>
        i === 0 ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n' : response(200, req.path),
      );
      conn = new HttpConnection(server.url);
      expect((await settle(conn.fetch('GET', '/1'), 1000)).error).toBeInstanceOf(UnsupportedResponse);
      const next = await settle(conn.fetch('GET', '/2'), 1000);
      expect(next.values[0]?.text()).toBe('/2');
      expect(server.connections.length).toBe(2);
      expect(countRequests(server.connections[0].received)).toBe(1);
      await server.connections[0].closed; // the client let it go
    });
  });

  describe('idle connections', () => {
    it('drops an idle connection one second before a Keep-Alive timeout of two seconds, and reuses it until then', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path, { 'Keep-Alive': 'timeout=2' }));
      // A long keepAliveTimeout: only the hint can make the connection go within two seconds.
      conn = new HttpConnection(server.url, { keepAliveTimeout: 60_000 });
      await firstValueFrom(conn.fetch('GET', '/1'));
      await delay(300);
      await firstValueFrom(conn.fetch('GET', '/2'));
      expect(server.connections.length).toBe(1);

      const idleSince = Date.now();
      const first = server.connections[0];
      const closed = await Promise.race([first.closed.then(() => true), delay(1800).then(() => false)]);
      const idleFor = Date.now() - idleSince;
      expect(closed).withContext('the idle connection was not closed within 1.8 s').toBeTrue();
      // httpio closed it, not the server, at 2 s less the one-second margin.
      expect(first.clientEnded).toBeTrue();
      expect(idleFor).toBeGreaterThanOrEqual(900);
      expect(idleFor).toBeLessThan(1800);

      await delay(Math.max(0, 1300 - (Date.now() - idleSince)));
      expect((await firstValueFrom(conn.fetch('GET', '/3'))).text()).toBe('/3');
      expect(server.connections.length).toBe(2);
      expect(countRequests(first.received)).toBe(2);
    });
  });

  describe('unsubscribing', () => {
    it('cuts a streamed body short when its request is unsubscribed while it is sent, and writes the next request on a new connection', async () => {
      server = await ScriptServer.start(async (c) => {
        if (c.index === 0) return untilClientLeaves(c);
        return echoEach(c);
      });
      conn = new HttpConnection(server.url);
      let pulled = 0;
      async function* slowBody() {
        for (let i = 0; i < 40; i++) {
          pulled++;
          yield `piece${i};`;
          await delay(25);
        }
      }
      const upload = conn.request('PUT', '/upload', { body: slowBody() }).subscribe({ error: () => undefined });
      const next = settle(conn.fetch('GET', '/next'), 2000);
      await server.waitForConnections(1);
      const first = server.connections[0];
      expect(await receives(first, 'piece1;'))
        .withContext('the body never began')
        .toBeTrue();
      upload.unsubscribe();

      expect((await next).values[0]?.text()).toBe('/next');
      expect(server.connections.length).toBe(2);
      await first.closed;
      const onFirst = first.received.toString('latin1');
      // The body stopped half-way: no last chunk, and far from all of it.
      expect(onFirst).not.toContain('\r\n0\r\n\r\n');
      expect(onFirst).not.toContain('piece39;');
      expect(pulled).toBeLessThan(40);
      // The server never saw the next request on the first connection.
      expect(countRequests(first.received, 'GET')).toBe(0);
      expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /next']);
    });

    it('gives back the AsyncIterable body of a request unsubscribed before it is written, for a new request to send whole', async () => {
      server = await ScriptServer.respondEach(async (req) => {
        if (req.path === '/slow') await delay(100);
        return response(200, `${req.path} ${req.body.toString()}`.trim());
      });
      conn = new HttpConnection(server.url, { maxPipelined: 1 });
      const slow = settle(conn.fetch('GET', '/slow'));
      const body = generate(['given ', 'back']);
      const left = conn.fetch('PUT', '/left', { body }).subscribe({ error: () => undefined });
      await delay(20); // /slow is still in flight, so /left waits
      left.unsubscribe();

      const retried = await settle(conn.fetch('PUT', '/again', { body }));
      expect(retried.error).toBeUndefined();
      expect(retried.values[0]?.text()).toBe('/again given back');
      expect((await slow).values[0]?.text()).toBe('/slow');
      expect(server.requests.map((r) => r.path)).toEqual(['/slow', '/again']);
      expect(server.requests[1].body.toString()).toBe('given back');
    });
  });
});

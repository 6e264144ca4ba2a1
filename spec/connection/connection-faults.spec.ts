import { firstValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectError, ConnectionClosed, InvalidResponse, ResponseTimeout, UnsupportedResponse } from '../../lib/errors';
import { countRequests, delay, settle, trace } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { read, untilClientLeaves } from '../support/scripts';
import { stalledListener } from '../support/stalled-listener';
import { tearDown } from '../support/fixture';

describe('HttpConnection faults', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  describe('a body that ends early', () => {
    it('errors with ConnectionClosed, never completes, when the close comes before Content-Length', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello');
        await c.end();
      });
      conn = new HttpConnection(server.url);
      expect(await trace(conn.request('GET', '/'))).toEqual(['head 200', 'data hello', 'error ConnectionClosed']);
      const again = await settle(conn.fetch('GET', '/'));
      expect(again.values).toEqual([]);
      expect(again.error).toBeInstanceOf(ConnectionClosed);
    });

    it('errors when the close comes before the last chunk', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
        await c.end();
      });
      conn = new HttpConnection(server.url);
      const outcome = await settle(conn.fetch('GET', '/'));
      expect(outcome.values).toEqual([]);
      expect(outcome.error).toBeInstanceOf(ConnectionClosed);
      expect((outcome.error as ConnectionClosed).sent).toBeTrue();
    });

    it('errors with ConnectionClosed carrying ECONNRESET when the server resets', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel');
        await delay(10);
        c.reset();
      });
      conn = new HttpConnection(server.url);
      const outcome = await settle(conn.fetch('GET', '/'));
      expect(outcome.error).toBeInstanceOf(ConnectionClosed);
      expect(((outcome.error as ConnectionClosed).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    });

    it('completes a body that runs until the close', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\n\r\nall of ', { split: [10] });
        await c.write('it');
        await c.end();
      });
      conn = new HttpConnection(server.url);
      expect((await firstValueFrom(conn.fetch('GET', '/'))).text()).toBe('all of it');
    });
  });

  describe('a connection that closes', () => {
    it('re-sends the requests behind a response that announces Connection: close', async () => {
      server = await ScriptServer.start(async (c) => {
        if (c.index === 0) {
          await read(c, 3);
          await c.write(response(200, 'first', { Connection: 'close' }));
          await c.end();
          return;
        }
        for (;;) {
          const req = await c.nextRequest(Infinity).catch(() => null);
          if (req === null) return;
          await c.write(response(200, `again ${req.path}`));
        }
      });
      conn = new HttpConnection(server.url);
      const outcomes = await Promise.all(['/1', '/2', '/3'].map((p) => settle(conn!.fetch('GET', p))));
      expect(outcomes.map((o) => o.values[0]?.text())).toEqual(['first', 'again /2', 'again /3']);
      expect(server.connections.length).toBe(2);
    });

    it('sends one request at a time to a server whose first response announces its close', async () => {
      const alone: number[] = [];
      server = await ScriptServer.start(async (c) => {
        const req = await c.nextRequest();
        await delay(20);
        alone.push(countRequests(c.received));
        await c.write(response(200, req.path, { Connection: 'close' }));
        await c.end();
      });
      conn = new HttpConnection(server.url);
      const outcomes = await Promise.all(['/1', '/2', '/3'].map((p) => settle(conn!.fetch('GET', p))));
      expect(outcomes.map((o) => o.values[0]?.text())).toEqual(['/1', '/2', '/3']);
      // The first socket got all three (it could not know); every later one carried one.
      expect(alone).toEqual([3, 1, 1]);
    });

    it('treats an HTTP/1.0 response without keep-alive as an announced close', async () => {
      server = await ScriptServer.start(async (c) => {
        const paths = await read(c, c.index === 0 ? 2 : 1);
        await c.write(`HTTP/1.0 200 OK\r\nContent-Length: ${paths[0].length}\r\n\r\n${paths[0]}`);
        await c.end();
      });
      conn = new HttpConnection(server.url);
      const outcomes = await Promise.all(['/a', '/b'].map((p) => settle(conn!.fetch('GET', p))));
      expect(outcomes.map((o) => o.values[0]?.text())).toEqual(['/a', '/b']);
      expect(outcomes[0].values[0].version).toBe('1.0');
    });

    it('keeps an HTTP/1.0 connection that says keep-alive', async () => {
      server = await ScriptServer.respondEach(() => 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nk');
      conn = new HttpConnection(server.url);
      await firstValueFrom(conn.fetch('GET', '/1'));
      await firstValueFrom(conn.fetch('GET', '/2'));
      expect(server.connections.length).toBe(1);
    });

    it('errors written requests with ConnectionClosed {sent: true} after an unannounced close, and never re-sends them', async () => {
      server = await ScriptServer.start(async (c) => {
        if (c.index === 0) {
          await read(c, 3);
          return c.end();
        }
        for (;;) {
          const req = await c.nextRequest(Infinity).catch(() => null);
          if (req === null) return;
          await c.write(response(200, req.path));
        }
      });
      conn = new HttpConnection(server.url, { maxPipelined: 3 });
      const outcomes = await Promise.all(['/1', '/2', '/3', '/4', '/5'].map((p) => settle(conn!.fetch('GET', p))));
      for (const lost of outcomes.slice(0, 3)) {
        expect(lost.error).toBeInstanceOf(ConnectionClosed);
        expect((lost.error as ConnectionClosed).sent).toBeTrue();
      }
      // Never written before the close, so written on a new connection: they do not fail.
      expect(outcomes[3].values[0].text()).toBe('/4');
      expect(outcomes[4].values[0].text()).toBe('/5');
      expect(server.requests.map((r) => r.path)).toEqual(['/1', '/2', '/3', '/4', '/5']);
    });

    it('errors the requests behind a response after which the server closes unannounced', async () => {
      server = await ScriptServer.start(async (c) => {
        await read(c, 3);
        await c.write(response(200, 'one'));
        await c.end();
      });
      conn = new HttpConnection(server.url, { maxPipelined: 3 });
      const outcomes = await Promise.all(['/1', '/2', '/3'].map((p) => settle(conn!.fetch('GET', p))));
      expect(outcomes[0].values[0].text()).toBe('one');
      expect(outcomes.slice(1).map((o) => (o.error as ConnectionClosed).sent)).toEqual([true, true]);
      expect(server.connections.length).toBe(1);
    });

    it('sends the first request alone on the connection after an unannounced close, then pipelines again', async () => {
      const seen: number[] = [];
      server = await ScriptServer.start(async (c) => {
        if (c.index === 0) {
          await read(c, 2);
          return c.end();
        }
        await c.nextRequest();
        await delay(30);
        seen.push(countRequests(c.received));
        await c.write(response(200, 'probe'));
        await c.nextRequest();
        await c.nextRequest();
        await delay(10);
        seen.push(countRequests(c.received));
        await c.write(response(200, 'x') + response(200, 'y'));
      });
      conn = new HttpConnection(server.url, { maxPipelined: 2 });
      const outcomes = await Promise.all(['/1', '/2', '/3', '/4', '/5'].map((p) => settle(conn!.fetch('GET', p))));
      expect(outcomes.map((o) => o.values[0]?.text() ?? (o.error as Error).name)).toEqual([
        'ConnectionClosed',
        'ConnectionClosed',
        'probe',
        'x',
        'y',
      ]);
      expect(seen).toEqual([1, 3]);
    });

    it('reconnects after the server closes an idle connection', async () => {
      server = await ScriptServer.start(async (c) => {
        const req = await c.nextRequest();
        await c.write(response(200, req.path));
        await c.end();
      });
      conn = new HttpConnection(server.url);
      expect((await firstValueFrom(conn.fetch('GET', '/1'))).text()).toBe('/1');
      await delay(20);
      expect((await firstValueFrom(conn.fetch('GET', '/2'))).text()).toBe('/2');
      expect(server.connections.length).toBe(2);
    });

    it('drops a connection on which the server sends a response nobody asked for', async () => {
      server = await ScriptServer.start(async (c) => {
        const req = await c.nextRequest();
        await c.write(response(200, req.path));
        if (c.index === 0) {
          await delay(10);
          await c.write(response(408, 'idle'));
        } else {
          await c.nextRequest(Infinity).catch(() => undefined);
        }
      });
      conn = new HttpConnection(server.url);
      await firstValueFrom(conn.fetch('GET', '/1'));
      await delay(40);
      const second = await firstValueFrom(conn.fetch('GET', '/2'));
      expect(second.status).toBe(200);
      expect(second.text()).toBe('/2');
      expect(server.connections.length).toBe(2);
    });

    it("ends the connection after a caller's Connection: close and writes the next request on a new one", async () => {
      server = await ScriptServer.respondEach((req, c) => response(200, `${c.index} ${req.path}`));
      conn = new HttpConnection(server.url);
      const outcomes = await Promise.all([
        settle(conn.fetch('GET', '/last', { headers: { Connection: 'close' } })),
        settle(conn.fetch('GET', '/after')),
      ]);
      expect(outcomes.map((o) => o.values[0].text())).toEqual(['0 /last', '1 /after']);
      expect(countRequests(server.connections[0].received)).toBe(1);
    });

    it('errors with ConnectError when nothing listens, with the cause', async () => {
      const closed = await ScriptServer.start(() => undefined);
      const url = closed.url;
      await closed.close();
      conn = new HttpConnection(url);
      const outcome = await settle(conn.fetch('GET', '/'));
      expect(outcome.error).toBeInstanceOf(ConnectError);
      expect(((outcome.error as ConnectError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
      expect((outcome.error as Error).message).toContain(url.slice('http://'.length));
    });

    it('fails every waiting request with ConnectError, once, without retrying', async () => {
      const closed = await ScriptServer.start(() => undefined);
      await closed.close();
      conn = new HttpConnection(closed.url);
      const outcomes = await Promise.all([1, 2, 3].map((i) => settle(conn!.fetch('GET', `/${i}`))));
      expect(outcomes.every((o) => o.error instanceof ConnectError)).toBeTrue();
      expect(conn.pending).toBe(0);
    });
  });

  describe('malformed responses', () => {
    it('errors the response with InvalidResponse and the ones behind it with ConnectionClosed, then recovers', async () => {
      server = await ScriptServer.start(async (c) => {
        if (c.index === 0) {
          await read(c, 2);
          await c.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n');
          return untilClientLeaves(c);
        }
        const req = await c.nextRequest();
        await c.write(response(200, req.path));
      });
      conn = new HttpConnection(server.url);
      const [bad, behind] = await Promise.all([settle(conn.fetch('GET', '/1')), settle(conn.fetch('GET', '/2'))]);
      expect(bad.error).toBeInstanceOf(InvalidResponse);
      expect(behind.error).toBeInstanceOf(ConnectionClosed);
      expect((behind.error as ConnectionClosed).sent).toBeTrue();
      expect((behind.error as ConnectionClosed).cause).toBe(bad.error);
      expect((await firstValueFrom(conn.fetch('GET', '/3'))).text()).toBe('/3');
    });

    it('errors with UnsupportedResponse for an unknown transfer coding', async () => {
      server = await ScriptServer.respondEach(() => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n');
      conn = new HttpConnection(server.url);
      expect((await settle(conn.fetch('GET', '/'))).error).toBeInstanceOf(UnsupportedResponse);
    });

    it('errors with InvalidResponse when the head passes maxHeaderSize, without waiting for the rest', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(4000)}`);
        await untilClientLeaves(c);
      });
      conn = new HttpConnection(server.url, { maxHeaderSize: 1024 });
      const outcome = await settle(conn.fetch('GET', '/'));
      expect(outcome.error).toBeInstanceOf(InvalidResponse);
      expect((outcome.error as Error).message).toContain('maxHeaderSize');
    });

    it('errors with InvalidResponse when a body passes maxResponseSize', async () => {
      server = await ScriptServer.respondEach(
        () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n',
      );
      conn = new HttpConnection(server.url, { maxResponseSize: 10 });
      const outcome = await settle(conn.fetch('GET', '/'));
      expect(outcome.error).toBeInstanceOf(InvalidResponse);
      expect((outcome.error as Error).message).toContain('maxResponseSize');
    });
  });

  describe('timeouts', () => {
    it('errors with ConnectError when the connection is not made within connectTimeout', async () => {
      const listener = await stalledListener();
      try {
        conn = new HttpConnection(`http://127.0.0.1:${listener.port}`, { connectTimeout: 100 });
        const outcomes = await Promise.all([settle(conn.fetch('GET', '/1')), settle(conn.fetch('GET', '/2'))]);
        expect(outcomes.map((o) => o.error instanceof ConnectError)).toEqual([true, true]);
        expect((outcomes[0].error as Error).message).toContain('connectTimeout');
      } finally {
        listener.stop();
      }
    });

    it('errors with ResponseTimeout when no byte arrives in time, and drops the connection', async () => {
      server = await ScriptServer.start(async (c) => {
        const req = await c.nextRequest();
        if (c.index === 0) return untilClientLeaves(c);
        await c.write(response(200, req.path));
      });
      conn = new HttpConnection(server.url, { timeout: 100 });
      const [slow, behind] = await Promise.all([settle(conn.fetch('GET', '/slow')), settle(conn.fetch('GET', '/behind'))]);
      expect(slow.error).toBeInstanceOf(ResponseTimeout);
      expect(behind.error).toBeInstanceOf(ConnectionClosed);
      expect((await firstValueFrom(conn.fetch('GET', '/next'))).text()).toBe('/next');
    });

    it('does not time out a response whose bytes keep coming', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n');
        for (const piece of ['a', 'b', 'c', 'd']) {
          await delay(40);
          await c.write(piece);
        }
      });
      conn = new HttpConnection(server.url, { timeout: 100 });
      expect((await firstValueFrom(conn.fetch('GET', '/'))).text()).toBe('abcd');
    });
  });
});

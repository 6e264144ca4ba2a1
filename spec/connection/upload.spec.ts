import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { Observable, defer, firstValueFrom, from, of } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectError, ConnectionClosed, RequestError } from '../../lib/errors';
import { countRequests, delay, settle, trace } from '../support/observe';
import { ScriptServer, response, type ServerConnection } from '../support/script-server';
import { generate, untilClientLeaves } from '../support/scripts';
import { tearDown } from '../support/fixture';

/** Waits until the connection has received a whole request head; returns the bytes after it. */
async function afterHead(c: ServerConnection, timeoutMs = 2000): Promise<Buffer> {
  for (let waited = 0; waited < timeoutMs; waited += 5) {
    const bytes = c.received;
    const end = bytes.indexOf('\r\n\r\n');
    if (end !== -1) return bytes.subarray(end + 4);
    await delay(5);
  }
  throw new Error('no request head arrived');
}

/** Answers every request with its decoded body's length and SHA-256. */
function digestServer(): Promise<ScriptServer> {
  return ScriptServer.respondEach((req) => response(200, `${req.body.length} ${createHash('sha256').update(req.body).digest('hex')}`));
}

function digest(bytes: Uint8Array): string {
  return `${bytes.length} ${createHash('sha256').update(bytes).digest('hex')}`;
}

describe('uploads', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  describe('streamed bodies', () => {
    it('sends an Observable with chunked coding, piece by piece', async () => {
      server = await digestServer();
      conn = new HttpConnection(server.url);
      const res = await firstValueFrom(conn.fetch('PUT', '/o', { body: of('hello ', Buffer.from('world')) }));
      expect(res.text()).toBe(digest(Buffer.from('hello world')));
      const raw = server.requests[0].raw.toString('latin1');
      expect(raw).toContain('Transfer-Encoding: chunked\r\n');
      expect(raw.endsWith('\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n')).toBeTrue();
    });

    it('sends an async generator', async () => {
      server = await digestServer();
      conn = new HttpConnection(server.url);
      const res = await firstValueFrom(conn.fetch('POST', '/g', { body: generate(['a', new Uint8Array([98, 99])]) }));
      expect(res.text()).toBe(digest(Buffer.from('abc')));
    });

    it('sends a Node.js Readable, which is an AsyncIterable', async () => {
      const { Readable } = await import('node:stream');
      server = await digestServer();
      conn = new HttpConnection(server.url);
      const data = Buffer.alloc(300_000, 7);
      const res = await firstValueFrom(
        conn.fetch('PUT', '/r', { body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]) }),
      );
      expect(res.text()).toBe(digest(data));
    });

    it('sends an empty stream as the last chunk alone', async () => {
      server = await digestServer();
      conn = new HttpConnection(server.url);
      const res = await firstValueFrom(conn.fetch('PUT', '/e', { body: of<string>() }));
      expect(res.text()).toBe(digest(Buffer.alloc(0)));
      expect(server.requests[0].raw.toString('latin1').endsWith('\r\n\r\n0\r\n\r\n')).toBeTrue();
    });

    it('sends one huge piece', async () => {
      server = await digestServer();
      conn = new HttpConnection(server.url);
      const big = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
      const res = await firstValueFrom(conn.fetch('PUT', '/big', { body: of(big) }));
      expect(res.text()).toBe(digest(big));
    });

    it('sends many tiny pieces', async () => {
      server = await digestServer();
      conn = new HttpConnection(server.url);
      const pieces = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26)));
      const res = await firstValueFrom(conn.fetch('PUT', '/tiny', { body: from(pieces) }));
      expect(res.text()).toBe(digest(Buffer.from(pieces.join(''))));
    });

    it('sends a stream with a contentLength as it is, without chunked coding', async () => {
      server = await digestServer();
      conn = new HttpConnection(server.url);
      const res = await firstValueFrom(conn.fetch('PUT', '/l', { body: generate(['abc', 'de']), contentLength: 5 }));
      expect(res.text()).toBe(digest(Buffer.from('abcde')));
      const raw = server.requests[0].raw.toString('latin1');
      expect(raw).toContain('Content-Length: 5\r\n');
      expect(raw).not.toContain('Transfer-Encoding');
      expect(raw.endsWith('\r\n\r\nabcde')).toBeTrue();
    });

    it('refuses to read an AsyncIterable body a second time, and builds it anew inside defer()', async () => {
      server = await digestServer();
      conn = new HttpConnection(server.url);
      const request = conn.fetch('PUT', '/once', { body: generate(['abc']) });
      expect((await firstValueFrom(request)).text()).toBe(digest(Buffer.from('abc')));
      const again = await settle(request);
      expect(again.error).toBeInstanceOf(RequestError);
      expect((again.error as Error).message).toContain('fresh stream');
      expect(server.requests.length).toBe(1);
      const c = conn;
      const fresh = defer(() => c.fetch('PUT', '/fresh', { body: generate(['abc']) }));
      expect((await firstValueFrom(fresh)).text()).toBe(digest(Buffer.from('abc')));
      expect((await firstValueFrom(fresh)).text()).toBe(digest(Buffer.from('abc')));
    });

    it('lets a retry send an AsyncIterable body that a failed connect never read', async () => {
      const gone = await ScriptServer.start(() => undefined);
      const port = gone.port;
      await gone.close();
      const body = generate(['kept']);
      conn = new HttpConnection(`http://127.0.0.1:${port}`);
      const request = conn.fetch('PUT', '/retry', { body });
      expect((await settle(request)).error).toBeInstanceOf(ConnectError);
      server = await ScriptServer.start(async (c) => {
        const req = await c.nextRequest();
        await c.write(response(200, req.body.toString()));
      });
      conn.destroy();
      conn = new HttpConnection(server.url);
      expect((await firstValueFrom(conn.fetch('PUT', '/retry', { body }))).text()).toBe('kept');
    });

    it('does not time out while its own body is still going out', async () => {
      server = await digestServer();
      conn = new HttpConnection(server.url, { timeout: 100 });
      async function* slow() {
        for (let i = 0; i < 5; i++) {
          await delay(50);
          yield 'x';
        }
      }
      const res = await firstValueFrom(conn.fetch('PUT', '/slow', { body: slow() }));
      expect(res.text()).toBe(digest(Buffer.from('xxxxx')));
    });

    it('writes the next request right after a streamed body, on the same connection', async () => {
      server = await ScriptServer.respondEach((req) => response(200, `${req.method} ${req.body.toString()}`));
      conn = new HttpConnection(server.url);
      const outcomes = await Promise.all([
        settle(conn.fetch('PUT', '/1', { body: generate(['x', 'y']) })),
        settle(conn.fetch('GET', '/2')),
        settle(conn.fetch('PUT', '/3', { body: of('z') })),
      ]);
      expect(outcomes.map((o) => o.values[0].text())).toEqual(['PUT xy', 'GET ', 'PUT z']);
      expect(server.connections.length).toBe(1);
    });
  });

  describe('a body that breaks its framing', () => {
    /** conn 0 never answers; later connections answer each request with its path. */
    function breakingServer(): Promise<ScriptServer> {
      return ScriptServer.start(async (c) => {
        if (c.index === 0) return untilClientLeaves(c);
        for (;;) {
          const req = await c.nextRequest(Infinity).catch(() => null);
          if (req === null) return;
          await c.write(response(200, req.path));
        }
      });
    }

    for (const [what, body, length] of [
      ['more', ['abc', 'def'], 4],
      ['fewer', ['abc'], 4],
    ] as const) {
      it(`errors with RequestError when the stream yields ${what} bytes than contentLength, and re-sends the requests behind it`, async () => {
        server = await breakingServer();
        conn = new HttpConnection(server.url);
        const [broken, behind] = await Promise.all([
          settle(conn.fetch('PUT', '/broken', { body: generate([...body]), contentLength: length })),
          settle(conn.fetch('GET', '/behind')),
        ]);
        expect(broken.error).toBeInstanceOf(RequestError);
        expect((broken.error as Error).message).toContain('contentLength');
        expect(behind.values[0].text()).toBe('/behind');
        expect(server.connections.length).toBe(2);
        expect(countRequests(server.connections[0].received)).toBe(0);
      });
    }

    it('errors with the source error as cause when the body source fails, and drops the connection', async () => {
      server = await breakingServer();
      conn = new HttpConnection(server.url);
      const boom = new Error('read failed');
      const failing = new Observable<string>((subscriber) => {
        subscriber.next('partial');
        setTimeout(() => subscriber.error(boom), 10);
      });
      const [broken, behind] = await Promise.all([
        settle(conn.fetch('PUT', '/broken', { body: failing })),
        settle(conn.fetch('GET', '/behind')),
      ]);
      expect(broken.error).toBeInstanceOf(RequestError);
      expect((broken.error as RequestError).cause).toBe(boom);
      expect(behind.values[0].text()).toBe('/behind');
      expect(server.connections.length).toBe(2);
    });

    it('reads the responses ahead of a broken body before dropping the connection', async () => {
      server = await ScriptServer.start(async (c) => {
        if (c.index > 0) {
          const req = await c.nextRequest();
          return c.write(response(200, req.path));
        }
        await c.nextRequest();
        await delay(40);
        await c.write(response(200, 'ahead'));
        await untilClientLeaves(c);
      });
      conn = new HttpConnection(server.url);
      const [ahead, broken, behind] = await Promise.all([
        settle(conn.fetch('GET', '/ahead')),
        settle(conn.fetch('PUT', '/broken', { body: generate(['toolong']), contentLength: 2 })),
        settle(conn.fetch('GET', '/behind')),
      ]);
      expect(ahead.values[0].text()).toBe('ahead');
      expect(broken.error).toBeInstanceOf(RequestError);
      expect(behind.values[0].text()).toBe('/behind');
    });

    it('does not re-send a streamed body after an announced close, since it is spent', async () => {
      server = await ScriptServer.start(async (c) => {
        const req = await c.nextRequest();
        if (c.index > 0) return c.write(response(200, req.path));
        await c.nextRequest();
        await c.write(response(200, 'first', { Connection: 'close' }));
        await c.end();
      });
      conn = new HttpConnection(server.url);
      const [first, streamed] = await Promise.all([
        settle(conn.fetch('GET', '/first')),
        settle(conn.fetch('PUT', '/streamed', { body: generate(['data']) })),
      ]);
      expect(first.values[0].text()).toBe('first');
      expect(streamed.error).toBeInstanceOf(ConnectionClosed);
      // Its bytes were written, though the close shows it was not processed.
      expect((streamed.error as ConnectionClosed).sent).toBeTrue();
      expect((streamed.error as Error).message).toContain('before processing');
    });
  });

  describe('backpressure', () => {
    it('does not read an AsyncIterable ahead of a socket that is not drained', async () => {
      // A raw server that reads nothing until told: the client's socket
      // buffer fills, then the kernel's, and then the source must stop.
      let received = 0;
      let serverSocket: net.Socket | undefined;
      const raw = net.createServer((socket) => {
        serverSocket = socket;
        socket.pause();
        socket.on('data', (d) => (received += d.length));
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      const port = (raw.address() as net.AddressInfo).port;
      const piece = Buffer.alloc(64 * 1024);
      const total = 256 * 1024 * 1024;
      let pulled = 0;
      async function* source() {
        while (pulled < total) {
          pulled += piece.length;
          yield piece;
        }
      }
      conn = new HttpConnection(`http://127.0.0.1:${port}`, { timeout: 0 });
      const upload = settle(conn.fetch('PUT', '/', { body: source(), contentLength: total }), 30_000);
      try {
        let last = -1;
        while (pulled !== last) {
          last = pulled;
          await delay(100);
        }
        // Stalled: what was pulled is what the socket and the kernel hold, a few MiB, not the source.
        expect(pulled).toBeLessThan(48 * 1024 * 1024);
        expect(pulled).toBeLessThan(total);
        serverSocket!.resume();
        while (received < total + 50) await delay(20);
        expect(pulled).toBe(total);
      } finally {
        conn.destroy();
        await upload.catch(() => undefined);
        raw.close();
        serverSocket?.destroy();
      }
    }, 30_000);
  });

  describe('Expect: 100-continue', () => {
    it('holds the body until 100 Continue, then sends it', async () => {
      let earlyBytes = -1;
      server = await ScriptServer.start(async (c) => {
        await delay(50);
        earlyBytes = (await afterHead(c)).length;
        await c.write('HTTP/1.1 100 Continue\r\n\r\n');
        const req = await c.nextRequest();
        await c.write(response(200, `got ${req.body.toString()}`));
      });
      // A long expect100Timeout: only the 100 can release the body in time.
      conn = new HttpConnection(server.url, { expect100Timeout: 10_000 });
      const events = await trace(conn.request('PUT', '/x', { body: 'payload', expect100: true }));
      expect(earlyBytes).toBe(0);
      expect(server.requests[0].header('expect')).toBe('100-continue');
      expect(events).toEqual(['informational 100', 'head 200', 'data got payload', 'complete']);
    });

    it('never sends the body when a final status comes instead, and closes the connection after it', async () => {
      server = await ScriptServer.start(async (c) => {
        if (c.index > 0) {
          const req = await c.nextRequest();
          return c.write(response(200, req.path));
        }
        await afterHead(c);
        await c.write(response(417, 'no'));
        await untilClientLeaves(c);
      });
      conn = new HttpConnection(server.url);
      const [refused, behind] = await Promise.all([
        settle(conn.fetch('PUT', '/x', { body: 'payload', expect100: true })),
        settle(conn.fetch('GET', '/behind')),
      ]);
      expect(refused.values[0].status).toBe(417);
      // Everything the client wrote on the first connection has arrived once it has ended it.
      while (!server.connections[0].clientEnded) await delay(5);
      expect((await afterHead(server.connections[0])).length).toBe(0);
      expect(behind.values[0].text()).toBe('/behind');
      expect(server.connections.length).toBe(2);
    });

    it('sends the body after expect100Timeout when the server stays silent', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.body.toString()));
      conn = new HttpConnection(server.url, { expect100Timeout: 50 });
      const res = await firstValueFrom(conn.fetch('PUT', '/x', { body: generate(['late ', 'body']), expect100: true }));
      expect(res.text()).toBe('late body');
    });

    it('holds the requests behind it until the expectation is answered', async () => {
      const seenBefore100: number[] = [];
      server = await ScriptServer.start(async (c) => {
        await afterHead(c);
        await delay(50);
        seenBefore100.push(countRequests(c.received, 'GET'));
        await c.write('HTTP/1.1 100 Continue\r\n\r\n');
        const put = await c.nextRequest();
        const get = await c.nextRequest();
        await c.write(response(200, put.body.toString()) + response(200, get.path));
      });
      conn = new HttpConnection(server.url, { expect100Timeout: 10_000 });
      const [put, get] = await Promise.all([
        settle(conn.fetch('PUT', '/x', { body: 'data', expect100: true })),
        settle(conn.fetch('GET', '/after')),
      ]);
      expect(seenBefore100).toEqual([0]);
      expect(put.values[0].text()).toBe('data');
      expect(get.values[0].text()).toBe('/after');
    });

    it('starts expect100Timeout only once its response is the awaited one', async () => {
      let bodyBytesBeforeAnswer = -1;
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await afterHead(c);
        // The GET ahead takes 300 ms: three times expect100Timeout.
        await delay(300);
        const put = c.received.toString('latin1');
        bodyBytesBeforeAnswer = put.length - put.lastIndexOf('\r\n\r\n') - 4;
        await c.write(response(200, 'slow'));
        const req = await c.nextRequest();
        await c.write(response(200, req.body.toString()));
      });
      conn = new HttpConnection(server.url, { expect100Timeout: 100 });
      const [get, put] = await Promise.all([
        settle(conn.fetch('GET', '/slow')),
        settle(conn.fetch('PUT', '/x', { body: 'payload', expect100: true })),
      ]);
      expect(get.values[0].text()).toBe('slow');
      expect(put.values[0].text()).toBe('payload');
      // The server had no chance to answer the expectation while the GET was ahead.
      expect(bodyBytesBeforeAnswer).toBe(0);
    });

    it('passes an unsolicited 100 on as an informational event', async () => {
      server = await ScriptServer.respondEach(() => 'HTTP/1.1 100 Continue\r\n\r\n' + response(200, 'ok'));
      conn = new HttpConnection(server.url);
      expect(await trace(conn.request('GET', '/'))).toEqual(['informational 100', 'head 200', 'data ok', 'complete']);
    });
  });

  describe('an early answer during an upload', () => {
    it('delivers the response, not the failed write behind it', async () => {
      server = await ScriptServer.start(async (c) => {
        await afterHead(c);
        await c.write(response(413, 'too large', { Connection: 'close' }));
        await c.end();
        c.destroy();
      });
      conn = new HttpConnection(server.url);
      async function* endless() {
        const piece = Buffer.alloc(64 * 1024);
        for (let i = 0; i < 4096; i++) yield piece;
      }
      const outcome = await settle(conn.fetch('PUT', '/upload', { body: endless() }), 10_000);
      expect(outcome.error).toBeUndefined();
      expect(outcome.values[0]?.status).toBe(413);
      expect(outcome.values[0]?.text()).toBe('too large');
    });
  });
});

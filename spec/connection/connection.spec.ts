import { firstValueFrom, merge } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { RequestError } from '../../lib/errors';
import { countRequests, delay, settle, trace } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';

describe('HttpConnection', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  describe('one request', () => {
    it('fetches a response with status, reason, headers and body', async () => {
      server = await ScriptServer.respondEach(() => response(200, 'hello', { 'Content-Type': 'text/plain' }));
      conn = new HttpConnection(server.url);
      const res = await firstValueFrom(conn.fetch('GET', '/greeting'));
      expect(res.status).toBe(200);
      expect(res.reason).toBe('OK');
      expect(res.version).toBe('1.1');
      expect(res.headers.get('content-type')).toBe('text/plain');
      expect(res.text()).toBe('hello');
    });

    it('sends the request line, Host and the caller headers', async () => {
      server = await ScriptServer.respondEach(() => response(204));
      conn = new HttpConnection(server.url);
      await firstValueFrom(conn.fetch('GET', '/a?b=c', { headers: { 'X-Trace': 'abc' } }));
      const [req] = server.requests;
      expect(req.method).toBe('GET');
      expect(req.path).toBe('/a?b=c');
      expect(req.header('host')).toBe(`127.0.0.1:${server.port}`);
      expect(req.header('x-trace')).toBe('abc');
    });

    it('sends a known-size body with its Content-Length', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.body.toString('latin1')));
      conn = new HttpConnection(server.url);
      const res = await firstValueFrom(conn.fetch('POST', '/echo', { body: 'h\u00e9llo' }));
      expect(server.requests[0].header('content-length')).toBe('6');
      expect(Buffer.from(res.body).toString('utf8')).toBe('h\u00e9llo');
    });

    it('emits head, data in order, trailers, then completes', async () => {
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', { split: [20] });
        await c.write('2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n');
      });
      conn = new HttpConnection(server.url);
      const events = await trace(conn.request('GET', '/'));
      expect(events[0]).toBe('head 200');
      expect(
        events
          .filter((e) => e.startsWith('data'))
          .map((e) => e.slice(5))
          .join(''),
      ).toBe('abcde');
      expect(events.slice(-2)).toEqual(['trailers', 'complete']);
    });

    it('passes interim responses through request() and skips them in fetch()', async () => {
      server = await ScriptServer.respondEach(() => 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n' + response(200, 'x'));
      conn = new HttpConnection(server.url);
      expect(await trace(conn.request('GET', '/'))).toEqual(['informational 103', 'head 200', 'data x', 'complete']);
      const res = await firstValueFrom(conn.fetch('GET', '/'));
      expect(res.status).toBe(200);
    });

    it('reads the trailers into the fetched response', async () => {
      server = await ScriptServer.respondEach(
        () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nDigest: x\r\n\r\n',
      );
      conn = new HttpConnection(server.url);
      const res = await firstValueFrom(conn.fetch('GET', '/'));
      expect(res.trailers?.get('digest')).toBe('x');
    });

    it('reads a HEAD response without a body although it has a Content-Length', async () => {
      server = await ScriptServer.respondEach(
        (req) => response(200, req.method === 'HEAD' ? '' : 'body', { 'Content-Length': '4' }) + (req.method === 'HEAD' ? '' : 'body'),
      );
      conn = new HttpConnection(server.url);
      const [head, get] = await Promise.all([settle(conn.fetch('HEAD', '/')), settle(conn.fetch('GET', '/'))]);
      expect(head.values[0].body.length).toBe(0);
      expect(get.values[0].text()).toBe('body');
    });

    it('decodes JSON', async () => {
      server = await ScriptServer.respondEach(() => response(200, '{"a":[1,2]}'));
      conn = new HttpConnection(server.url);
      expect((await firstValueFrom(conn.fetch('GET', '/'))).json()).toEqual({ a: [1, 2] });
    });
  });

  describe('laziness and validation', () => {
    it('connects nothing until a request is subscribed', async () => {
      server = await ScriptServer.respondEach(() => response(200));
      conn = new HttpConnection(server.url);
      const request = conn.fetch('GET', '/');
      await delay(30);
      expect(server.connections.length).toBe(0);
      await firstValueFrom(request);
      expect(server.connections.length).toBe(1);
    });

    it('errors an invalid request with RequestError and writes nothing of it', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path));
      conn = new HttpConnection(server.url);
      const [bad, good] = await Promise.all([
        settle(conn.fetch('GET', '/x', { headers: { 'x-a': 'a\r\nInjected: 1' } })),
        settle(conn.fetch('GET', '/good')),
      ]);
      expect(bad.error).toBeInstanceOf(RequestError);
      expect(good.values[0].text()).toBe('/good');
      expect(server.connections[0].received.toString('latin1')).not.toContain('Injected');
      expect(server.requests.length).toBe(1);
    });

    it('does not connect for a request that fails validation', async () => {
      server = await ScriptServer.respondEach(() => response(200));
      conn = new HttpConnection(server.url);
      const outcome = await settle(conn.fetch('GET', 'no-slash'));
      expect(outcome.error).toBeInstanceOf(RequestError);
      await delay(20);
      expect(server.connections.length).toBe(0);
    });

    it('throws on an invalid origin or option, naming it', () => {
      expect(() => new HttpConnection('ftp://127.0.0.1')).toThrowError(TypeError, /protocol/);
      expect(() => new HttpConnection('http://127.0.0.1', { maxPipelined: 0 })).toThrowError(RangeError, /maxPipelined/);
    });

    it('sends the same request again on each subscription (cold)', async () => {
      server = await ScriptServer.respondEach((_req, _c, i) => response(200, String(i)));
      conn = new HttpConnection(server.url);
      const request = conn.fetch('GET', '/n');
      const a = await firstValueFrom(request);
      const b = await firstValueFrom(request);
      expect([a.text(), b.text()]).toEqual(['0', '1']);
    });
  });

  describe('pipelining', () => {
    it('writes several requests before any response arrives', async () => {
      let seenBeforeAnswering = 0;
      server = await ScriptServer.start(async (c) => {
        const reqs = [];
        for (let i = 0; i < 5; i++) reqs.push(await c.nextRequest());
        seenBeforeAnswering = reqs.length;
        await c.write(reqs.map((r) => response(200, r.path)).join(''));
      });
      conn = new HttpConnection(server.url);
      const outcomes = await Promise.all([0, 1, 2, 3, 4].map((i) => settle(conn!.fetch('GET', `/${i}`))));
      expect(seenBeforeAnswering).toBe(5);
      expect(outcomes.map((o) => o.values[0].text())).toEqual(['/0', '/1', '/2', '/3', '/4']);
      expect(server.connections.length).toBe(1);
    });

    it('routes each response to its own request, in order, whatever the split', async () => {
      server = await ScriptServer.start(async (c) => {
        const reqs = [];
        for (let i = 0; i < 4; i++) reqs.push(await c.nextRequest());
        const bytes = reqs.map((r) => response(200, `body of ${r.path}`)).join('');
        await c.write(bytes, { split: [1, 17, 40, 41, 42, 90, bytes.length - 1] });
      });
      conn = new HttpConnection(server.url);
      const outcomes = await Promise.all(['/a', '/b', '/c', '/d'].map((p) => settle(conn!.fetch('GET', p))));
      expect(outcomes.map((o) => o.values[0].text())).toEqual(['body of /a', 'body of /b', 'body of /c', 'body of /d']);
    });

    it('puts requests on the wire in subscription order', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path));
      conn = new HttpConnection(server.url);
      await firstValueFrom(merge(...[3, 1, 2].map((i) => conn!.fetch('GET', `/${i}`))).pipe());
      await delay(10);
      expect(server.requests.map((r) => r.path)).toEqual(['/3', '/1', '/2']);
    });

    it('keeps at most maxPipelined requests unanswered', async () => {
      let inFirstWrite = 0;
      server = await ScriptServer.start(async (c) => {
        await c.nextRequest();
        await c.nextRequest();
        await delay(50);
        inFirstWrite = countRequests(c.received);
        for (let i = 0; i < 5; i++) {
          await c.write(response(200));
          if (i < 3) await c.nextRequest();
        }
      });
      conn = new HttpConnection(server.url, { maxPipelined: 2 });
      const outcomes = await Promise.all([0, 1, 2, 3, 4].map((i) => settle(conn!.fetch('GET', `/${i}`))));
      expect(inFirstWrite).toBe(2);
      expect(outcomes.every((o) => o.completed)).toBeTrue();
    });

    it('uses one connection for many requests', async () => {
      server = await ScriptServer.respondEach((req) => response(200, req.path));
      conn = new HttpConnection(server.url);
      const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => settle(conn!.fetch('GET', `/${i}`))));
      expect(outcomes.map((o) => o.values[0].text())).toEqual(Array.from({ length: 200 }, (_, i) => `/${i}`));
      expect(server.connections.length).toBe(1);
    });

    it('counts pending requests until they finish', async () => {
      server = await ScriptServer.respondEach(() => response(200));
      conn = new HttpConnection(server.url);
      expect(conn.pending).toBe(0);
      const both = Promise.all([settle(conn.fetch('GET', '/1')), settle(conn.fetch('GET', '/2'))]);
      expect(conn.pending).toBe(2);
      await both;
      expect(conn.pending).toBe(0);
    });
  });
});

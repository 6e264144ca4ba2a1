import { configure, useServerTestBed } from './testbed'; // first: it loads Angular's JIT compiler
import * as net from 'node:net';
import { HttpClient, HttpErrorResponse, HttpHeaders, HttpParams, provideHttpClient } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { ConnectError, ConnectionClosed, RequestError } from '../../lib/index';
import { provideHttpioBackend } from '../../lib/angular';
import { ScriptServer, response } from '../support/script-server';
import type { ReceivedRequest } from '../support/script-server';

/** What a 4xx/5xx or a failure surfaces as: the HttpErrorResponse the Observable errors with. */
async function failureOf(request: Promise<unknown>): Promise<HttpErrorResponse> {
  const error = await request.then(
    () => fail('the request succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpErrorResponse);
  return error as HttpErrorResponse;
}

describe('HttpioBackend through HttpClient', () => {
  useServerTestBed();
  let server: ScriptServer | undefined;
  let http: HttpClient;

  /** A keep-alive server answering each request with `respond`, and an HttpClient over httpio. */
  async function serve(respond: (req: ReceivedRequest) => string): Promise<ScriptServer> {
    server = await ScriptServer.respondEach(respond);
    configure([provideHttpClient(), provideHttpioBackend()]);
    http = TestBed.inject(HttpClient);
    return server;
  }

  /** A JSON response; the script server writes strings as latin1, so the UTF-8 bytes go in as latin1 characters. */
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
    response(status, Buffer.from(JSON.stringify(value), 'utf8').toString('latin1'), { 'Content-Type': 'application/json', ...headers });

  afterEach(async () => {
    TestBed.resetTestingModule();
    await server?.close();
    expect(server?.errors ?? [])
      .withContext('errors thrown by the server script')
      .toEqual([]);
    server = undefined;
  });

  describe('requests', () => {
    it("GETs JSON: the body parsed, the query from params, Angular's default Accept", async () => {
      const { url } = await serve((req) => json(200, { path: req.path }));
      const body = await firstValueFrom(http.get<{ path: string }>(`${url}/items`, { params: { page: 2 } }));
      expect(body).toEqual({ path: '/items?page=2' });
      expect(server!.requests[0].method).toBe('GET');
      expect(server!.requests[0].header('accept')).toBe('application/json, text/plain, */*');
    });

    it('POSTs an object as JSON, with Content-Type application/json and its Content-Length', async () => {
      const { url } = await serve((req) => json(201, { got: JSON.parse(req.body.toString('utf8')) }));
      const body = await firstValueFrom(http.post(`${url}/items`, { name: 'caf\u00e9', tags: [1, 2] }));
      expect(body).toEqual({ got: { name: 'caf\u00e9', tags: [1, 2] } });
      const [req] = server!.requests;
      expect(req.header('content-type')).toBe('application/json');
      expect(req.header('content-length')).toBe(String(Buffer.byteLength('{"name":"café","tags":[1,2]}')));
    });

    it('sends the caller\'s headers (several values joined with ","), a string as text/plain and HttpParams as a form', async () => {
      const { url } = await serve((req) => response(200, `${req.header('content-type')}|${req.body.toString('latin1')}`));
      const headers = new HttpHeaders({ 'X-Trace': ['a', 'b'], Accept: 'text/csv' });
      const text = await firstValueFrom(http.put(`${url}/t`, 'plain words', { headers, responseType: 'text' }));
      expect(text).toBe('text/plain|plain words');
      expect(server!.requests[0].header('x-trace')).toBe('a,b');
      expect(server!.requests[0].header('accept')).toBe('text/csv');

      const form = await firstValueFrom(
        http.post(`${url}/f`, new HttpParams({ fromObject: { a: '1', b: 'x y' } }), { responseType: 'text' }),
      );
      expect(form).toBe('application/x-www-form-urlencoded;charset=UTF-8|a=1&b=x%20y');
    });

    it('sends an ArrayBuffer and a Blob as bytes, the Blob with its type and size', async () => {
      const { url } = await serve((req) =>
        response(200, `${req.header('content-type')}|${req.header('content-length')}|${req.body.toString('latin1')}`),
      );
      const bytes = await firstValueFrom(http.post(`${url}/b`, new Uint8Array([104, 105]).buffer, { responseType: 'text' }));
      expect(bytes).toBe('undefined|2|hi');
      const blob = await firstValueFrom(http.post(`${url}/b`, new Blob(['blob!'], { type: 'text/x-blob' }), { responseType: 'text' }));
      expect(blob).toBe('text/x-blob|5|blob!');
    });

    it('sends FormData as multipart with its boundary', async () => {
      const { url } = await serve((req) => response(200, `${req.header('content-type')}\n${req.body.toString('latin1')}`));
      const form = new FormData();
      form.append('field', 'value');
      const echoed = await firstValueFrom(http.post(`${url}/form`, form, { responseType: 'text' }));
      const [type, ...body] = echoed.split('\n');
      const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(type)?.[1];
      expect(boundary).withContext(type).toBeDefined();
      expect(body.join('\n')).toContain(`--${boundary}\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n--${boundary}--`);
    });
  });

  describe('response types', () => {
    it('gives text as a string, arraybuffer as an ArrayBuffer of the exact bytes, blob as a Blob with the Content-Type', async () => {
      const { url } = await serve(() => response(200, 'h\u00e9', { 'Content-Type': 'text/plain; charset=latin1' }));
      expect(await firstValueFrom(http.get(`${url}/t`, { responseType: 'text' }))).toBe(Buffer.from('h\u00e9', 'latin1').toString('utf8'));

      const buffer = await firstValueFrom(http.get(`${url}/a`, { responseType: 'arraybuffer' }));
      expect(buffer).toBeInstanceOf(ArrayBuffer);
      expect([...new Uint8Array(buffer)]).toEqual([0x68, 0xe9]);

      const blob = await firstValueFrom(http.get(`${url}/b`, { responseType: 'blob' }));
      expect(blob).toBeInstanceOf(Blob);
      expect(blob.type).toBe('text/plain; charset=latin1');
      expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([0x68, 0xe9]);
    });

    it('gives null for an empty JSON body, and strips the XSSI prefix', async () => {
      const bodies = [response(200, ''), response(200, ")]}',\n[1]")];
      const { url } = await serve(() => bodies.shift()!);
      expect(await firstValueFrom(http.get(`${url}/empty`))).toBeNull();
      expect(await firstValueFrom(http.get(`${url}/xssi`))).toEqual([1]);
    });

    it('gives a null body for a 204 whatever the responseType, but an empty one for an empty 200', async () => {
      const { url } = await serve((req) => response(req.path === '/none' ? 204 : 200));
      expect(await firstValueFrom(http.get(`${url}/none`, { responseType: 'text' }))).toBeNull();
      expect(await firstValueFrom(http.get(`${url}/none`, { responseType: 'arraybuffer' }))).toBeNull();
      expect(await firstValueFrom(http.get(`${url}/empty`, { responseType: 'text' }))).toBe('');
    });

    it('delivers the full response with observe: "response", repeated header fields joined', async () => {
      const { url } = await serve(() => 'HTTP/1.1 200 Fine\r\nX-Tag: a\r\nx-tag: b\r\nContent-Length: 2\r\n\r\nok');
      const res = await firstValueFrom(http.get(`${url}/r`, { observe: 'response', responseType: 'text' }));
      expect(res.status).toBe(200);
      expect(res.statusText).toBe('Fine');
      expect(res.url).toBe(`${url}/r`);
      expect(res.headers.get('X-Tag')).toBe('a, b');
      expect(res.body).toBe('ok');
    });
  });

  describe('errors', () => {
    it('errors with HttpErrorResponse on a 404, carrying status, headers and the parsed JSON body', async () => {
      const { url } = await serve(() => json(404, { error: 'no such item' }, { 'X-Why': 'gone' }));
      const error = await failureOf(firstValueFrom(http.get(`${url}/items/9`)));
      expect(error.status).toBe(404);
      expect(error.statusText).toBe('Status');
      expect(error.headers.get('x-why')).toBe('gone');
      expect(error.error).toEqual({ error: 'no such item' });
      expect(error.message).toBe(`Http failure response for ${url}/items/9: 404 Status`);
    });

    it('keeps a non-JSON error body as text', async () => {
      const { url } = await serve(() => response(500, 'Internal oops'));
      const error = await failureOf(firstValueFrom(http.get(`${url}/x`)));
      expect(error.status).toBe(500);
      expect(error.error).toBe('Internal oops');
    });

    it('errors on a 200 whose JSON does not parse, as HttpXhrBackend does: { error, text }', async () => {
      const { url } = await serve(() => response(200, '{nope'));
      const error = await failureOf(firstValueFrom(http.get(`${url}/bad`)));
      expect(error.status).toBe(200);
      expect(error.message).toBe(`Http failure during parsing for ${url}/bad`);
      expect(error.error.error).toBeInstanceOf(SyntaxError);
      expect(error.error.text).toBe('{nope');
    });

    it("errors with status 0 and httpio's ConnectError when the connection is refused", async () => {
      const port = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as net.AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      configure([provideHttpClient(), provideHttpioBackend()]);
      const error = await failureOf(firstValueFrom(TestBed.inject(HttpClient).get(`http://127.0.0.1:${port}/x`)));
      expect(error.status).toBe(0);
      expect(error.error).toBeInstanceOf(ConnectError);
      expect(error.url).toBe(`http://127.0.0.1:${port}/x`);
    });

    it('errors with status 0 and ConnectionClosed when the server drops the connection', async () => {
      server = await ScriptServer.start(async (conn) => {
        await conn.nextRequest();
        conn.destroy();
      });
      configure([provideHttpClient(), provideHttpioBackend()]);
      const error = await failureOf(firstValueFrom(TestBed.inject(HttpClient).get(`${server.url}/x`)));
      expect(error.status).toBe(0);
      expect(error.error).toBeInstanceOf(ConnectionClosed);
    });

    it('errors with status 0 and a message naming a relative URL, connecting nowhere', async () => {
      const { url } = await serve(() => response(200));
      const error = await failureOf(firstValueFrom(http.get('/api/items')));
      expect(error.status).toBe(0);
      expect(error.message).toContain('/api/items');
      expect(error.error).toBeInstanceOf(RequestError);
      expect(error.error.message).toContain('GET /api/items is not an absolute http(s) URL');
      expect(url).toBeDefined();
      expect(server!.connections.length).toBe(0);
    });
  });
});

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { NEVER, Observable, concat, firstValueFrom, lastValueFrom, of } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { RequestError } from '../../lib/errors';
import { settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { tearDown } from '../support/fixture';

/** A Node.js http server that reads each body whole and answers with its length; counts its sockets. */
async function lengthServer(): Promise<{ server: http.Server; url: string; sockets: () => number; close(): Promise<void> }> {
  let sockets = 0;
  const server = http.createServer((req, res) => {
    let size = 0;
    req.on('data', (piece: Buffer) => (size += piece.length));
    req.on('end', () => res.end(String(size)));
  });
  server.on('connection', () => sockets++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    sockets: () => sockets,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a streamed body with contentLength', () => {
  let conn: HttpConnection | undefined;
  let script: ScriptServer | undefined;
  let node: Awaited<ReturnType<typeof lengthServer>> | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await tearDown(conn, script);
    await node?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    conn = script = node = dir = undefined;
  });

  for (const expect100 of [false, true]) {
    it(`keeps one connection for twenty file-stream PUTs${expect100 ? ' with expect100' : ''}`, async () => {
      node = await lengthServer();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'httpio-put-'));
      const file = path.join(dir, 'object.bin');
      fs.writeFileSync(file, Buffer.alloc(200 * 1024 + 17, 0x5a));
      const size = fs.statSync(file).size;
      conn = new HttpConnection(node.url, { expect100Timeout: 10_000 });
      for (let i = 0; i < 20; i++) {
        const res = await firstValueFrom(
          conn.fetch('PUT', `/objects/${i}`, { body: fs.createReadStream(file), contentLength: size, expect100 }),
        );
        expect(res.text()).toBe(String(size));
      }
      expect(node.sockets()).toBe(1);
    });
  }

  it('is complete once its bytes are written, even if the source never ends', async () => {
    script = await ScriptServer.respondEach((req) => response(200, `${req.path} ${req.body.length}`));
    conn = new HttpConnection(script.url);
    // The source yields its four bytes and then never signals its end.
    const first = await settle(conn.fetch('PUT', '/a', { body: concat(of('abcd'), NEVER), contentLength: 4 }));
    expect(first.values[0]?.text()).toBe('/a 4');
    const second = await settle(conn.fetch('GET', '/b'));
    expect(second.values[0]?.text()).toBe('/b 0');
    expect(script.connections.length).toBe(1);
  });

  it('fails with RequestError when the source yields more after the last byte, never sends the extra, and keeps the connection', async () => {
    script = await ScriptServer.respondEach((req) => response(200, `${req.path} ${req.body.toString('latin1')}`));
    conn = new HttpConnection(script.url);
    async function* tooLong() {
      yield 'abcd';
      yield 'extra';
    }
    const [over, behind] = await Promise.all([
      settle(conn.fetch('PUT', '/over', { body: tooLong(), contentLength: 4 })),
      settle(conn.fetch('GET', '/behind')),
    ]);
    expect(over.error).toBeInstanceOf(RequestError);
    expect((over.error as Error).message).toContain('more than its contentLength of 4');
    expect(behind.values[0]?.text()).toBe('/behind ');
    expect(script.requests[0].body.toString('latin1')).toBe('abcd');
    expect(script.connections[0].received.toString('latin1')).not.toContain('extra');
    expect(script.connections.length).toBe(1);
  });

  it('stops reading a source whose request is over', async () => {
    script = await ScriptServer.respondEach(() => response(200, 'ok'));
    conn = new HttpConnection(script.url);
    let tornDown = false;
    const body = new Observable<string>((subscriber) => {
      subscriber.next('abcd');
      return () => (tornDown = true);
    });
    const res = await lastValueFrom(conn.fetch('PUT', '/x', { body, contentLength: 4 }));
    expect(res.text()).toBe('ok');
    expect(tornDown).toBeTrue();
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectError } from '../../lib/errors';
import { CA, SERVER } from '../support/certs';
import { tearDown } from '../support/fixture';
import { settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';

describe('Unix sockets', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;
  let dir: string;

  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'httpio-unix-'))));

  afterEach(async () => {
    await tearDown(conn, server);
    fs.rmSync(dir, { recursive: true, force: true });
    server = conn = undefined;
  });

  it('sends the bytes over the socket, with Host and targets from the origin URL', async () => {
    const socketPath = path.join(dir, 'api.sock');
    server = await ScriptServer.respondEach((req) => response(200, `${req.path} ${req.header('host')}`), { path: socketPath });
    conn = new HttpConnection('http://docker', { socketPath });
    const [a, b] = await Promise.all([firstValueFrom(conn.fetch('GET', '/v1/info')), firstValueFrom(conn.fetch('GET', '/v1/ping'))]);
    expect([a.text(), b.text()]).toEqual(['/v1/info docker', '/v1/ping docker']);
    expect(server.connections.length).toBe(1);
  });

  it('speaks TLS over a Unix socket for an https: origin', async () => {
    const socketPath = path.join(dir, 'tls.sock');
    server = await ScriptServer.respondEach((req) => response(200, req.path), { path: socketPath, tls: SERVER });
    conn = new HttpConnection('https://localhost', { socketPath, tls: { ca: CA } });
    expect((await firstValueFrom(conn.fetch('GET', '/over-tls'))).text()).toBe('/over-tls');
  });

  it('fails with ConnectError naming the path when nothing listens there', async () => {
    const socketPath = path.join(dir, 'missing.sock');
    conn = new HttpConnection('http://localhost', { socketPath });
    const outcome = await settle(conn.fetch('GET', '/'));
    expect(outcome.error).toBeInstanceOf(ConnectError);
    expect((outcome.error as Error).message).toContain(socketPath);
    expect(((outcome.error as ConnectError).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

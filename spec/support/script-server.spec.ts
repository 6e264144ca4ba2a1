import * as net from 'node:net';
import { once } from 'node:events';
import { ScriptServer, ScriptServerError, response } from './script-server';

/** A raw client that records what it reads and how it ends. */
interface Client {
  socket: net.Socket;
  chunks: Buffer[];
  text(): string;
  ended: Promise<void>;
  closed: Promise<NodeJS.ErrnoException | undefined>; // the socket's error, if any
}

describe('ScriptServer', () => {
  let server: ScriptServer | undefined;
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    sockets.splice(0).forEach((socket) => socket.destroy());
    await server?.close();
    server = undefined;
  });

  async function connect(): Promise<Client> {
    const socket = net.connect(server!.port, '127.0.0.1');
    sockets.push(socket);
    const chunks: Buffer[] = [];
    let error: NodeJS.ErrnoException | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (e) => (error = e));
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    const closed = new Promise<NodeJS.ErrnoException | undefined>((resolve) => socket.once('close', () => resolve(error)));
    await once(socket, 'connect');
    return { socket, chunks, text: () => Buffer.concat(chunks).toString('latin1'), ended, closed };
  }

  /** Polls until `condition` holds, so that the next write is a separate read. */
  async function until(condition: () => boolean): Promise<void> {
    for (const start = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 1))) {
      if (Date.now() - start > 2000) throw new Error('condition not met within 2000 ms');
    }
  }

  async function firstConnection() {
    await server!.waitForConnections(1);
    return server!.connections[0]!;
  }

  it('parses two pipelined requests that arrive in one write', async () => {
    server = await ScriptServer.start(() => undefined);
    const client = await connect();
    const get = 'GET /a?q=1 HTTP/1.1\r\nHost: example\r\nX-Dup: one\r\nx-dup:  two \r\n\r\n';
    const post = 'POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello';
    client.socket.write(get + post);
    const conn = await firstConnection();

    const first = await conn.nextRequest();
    const second = await conn.nextRequest();

    expect([first.method, first.path, first.version]).toEqual(['GET', '/a?q=1', 'HTTP/1.1']);
    expect(first.headers).toEqual([
      ['Host', 'example'],
      ['X-Dup', 'one'],
      ['x-dup', 'two'],
    ]);
    expect(first.header('X-DUP')).toBe('one, two');
    expect(first.header('content-length')).toBeUndefined();
    expect(first.body.length).toBe(0);
    expect(first.raw.toString('latin1')).toBe(get);
    expect([second.method, second.path, second.body.toString()]).toEqual(['POST', '/b', 'hello']);
    expect(second.raw.toString('latin1')).toBe(post);
    expect(server.requests).toEqual([first, second]);
    expect(conn.received.toString('latin1')).toBe(get + post);
  });

  it('parses a request split across reads only once its last byte arrives', async () => {
    server = await ScriptServer.start(() => undefined);
    const client = await connect();
    const conn = await firstConnection();
    const wire = 'PUT /split HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789';
    // Cut inside the request line, inside the blank line, and inside the body.
    for (const [from, to] of [
      [0, 5],
      [5, 42],
      [42, 45],
      [45, wire.length - 1],
    ] as const) {
      client.socket.write(wire.slice(from, to));
      await until(() => conn.received.length === to);
    }
    await expectAsync(conn.nextRequest(20)).toBeRejectedWith(jasmine.objectContaining({ code: 'TIMEOUT' }));

    client.socket.write(wire.slice(-1));
    const request = await conn.nextRequest();

    expect(request.body.toString()).toBe('0123456789');
    expect(request.raw.toString('latin1')).toBe(wire);
  });

  it('decodes a chunked body, ignoring chunk extensions and trailers, and parses the request after it', async () => {
    server = await ScriptServer.start(() => undefined);
    const client = await connect();
    const chunked =
      'POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' + 'a;name=value\r\n0123456789\r\n3\r\nabc\r\n0\r\nDigest: x\r\n\r\n';
    client.socket.write(chunked + 'GET /next HTTP/1.1\r\n\r\n');
    const conn = await firstConnection();

    const upload = await conn.nextRequest();
    const next = await conn.nextRequest();

    expect(upload.body.toString()).toBe('0123456789abc');
    expect(upload.raw.toString('latin1')).toBe(chunked);
    expect(next.path).toBe('/next');
  });

  it('delivers a split write as one read per piece', async () => {
    server = await ScriptServer.start(async (conn) => {
      await conn.write(response(200, 'hello world'), { split: [3, 10, 20] });
      await conn.end();
    });
    const client = await connect();
    await client.ended;

    expect(client.chunks.map((chunk) => chunk.length)).toEqual([3, 7, 10, response(200, 'hello world').length - 20]);
    expect(client.text()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world');
    expect(server.errors).toEqual([]);
  });

  it('end() sends FIN after the writes before it, and the connection then closes', async () => {
    server = await ScriptServer.start((conn) => {
      void conn.write('abc', { split: [1] });
      void conn.end();
    });
    const client = await connect();
    await client.ended;
    expect(client.text()).toBe('abc');

    const conn = await firstConnection();
    await conn.closed; // the client's socket answers our FIN with its own
    expect(conn.clientEnded).toBe(true);
    expect(await client.closed).toBeUndefined();
  });

  it('reset() makes the client see ECONNRESET', async () => {
    server = await ScriptServer.start(async (conn) => {
      await conn.nextRequest();
      conn.reset();
    });
    const client = await connect();
    client.socket.write('GET / HTTP/1.1\r\n\r\n');

    expect((await client.closed)?.code).toBe('ECONNRESET');
  });

  it('nextRequest() hands out the requests received before the client ended, then rejects with CLIENT_CLOSED', async () => {
    server = await ScriptServer.start(() => undefined);
    const client = await connect();
    client.socket.end('GET /last HTTP/1.1\r\n\r\nGET /partial HT');
    const conn = await firstConnection();

    expect((await conn.nextRequest()).path).toBe('/last');
    await expectAsync(conn.nextRequest()).toBeRejectedWith(jasmine.objectContaining({ code: 'CLIENT_CLOSED' }));
    expect(conn.clientEnded).toBe(true);
  });

  it('close() destroys every connection and stops listening, and may be called twice', async () => {
    server = await ScriptServer.start(() => undefined);
    const client = await connect();
    await firstConnection();
    const waiting = server.waitForConnections(2, 10_000);

    const [first, second] = [server.close(), server.close()];
    await Promise.all([first, second]);

    expect(second).toBe(first);
    await client.closed;
    await expectAsync(waiting).toBeRejectedWith(jasmine.objectContaining({ code: 'SERVER_CLOSED' }));
    const refused = net.connect(server.port, '127.0.0.1');
    const [error] = (await once(refused, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('records what scripts throw or reject with, and destroys their connections', async () => {
    server = await ScriptServer.start(async (conn) => {
      if (conn.index === 0) throw new Error('thrown');
      await conn.nextRequest(10);
    });
    const thrown = await connect();
    await thrown.closed;
    const timedOut = await connect();
    await timedOut.closed;

    expect(server.errors.length).toBe(2);
    expect((server.errors[0] as Error).message).toBe('thrown');
    expect(server.errors[1]).toEqual(jasmine.any(ScriptServerError));
    expect((server.errors[1] as ScriptServerError).code).toBe('TIMEOUT');
  });

  it('respondEach() answers pipelined requests on each keep-alive connection, counting across them, until the client ends', async () => {
    server = await ScriptServer.respondEach((req, conn, index) => response(200, `${conn.index} ${index} ${req.path}`));
    const answer = (body: string) => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const first = await connect();
    first.socket.write('GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n');
    await until(() => first.text() === answer('0 0 /a') + answer('0 1 /b'));
    const second = await connect();
    second.socket.end('GET /c HTTP/1.1\r\n\r\n');
    await second.ended;

    expect(second.text()).toBe(answer('1 2 /c'));
    expect(server.requests.map((r) => r.path)).toEqual(['/a', '/b', '/c']);
    expect(response(404, 'no', { 'Content-Length': '9' })).toBe('HTTP/1.1 404 Status\r\nContent-Length: 9\r\n\r\nno');
    expect(server.errors).toEqual([]);
  });
});

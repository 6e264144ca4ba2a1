import * as net from 'node:net';

/**
 * A server that answers every request with `size` bytes of body as fast as
 * the client takes them, honouring TCP backpressure, and counts what it has
 * handed to its socket: a client that stops reading shows up as a count that
 * stops growing. Requests are not parsed: each head's blank line is one request.
 */
export class BulkServer {
  /** Body bytes the server's socket has accepted, across responses. */
  sent = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(size: number, piece = 64 * 1024): Promise<BulkServer> {
    // `self` is declared below: connections only come once it exists.
    const server = net.createServer((socket) => {
      self.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => self.sockets.delete(socket));
      let seen = '';
      let queue = Promise.resolve();
      socket.on('data', (data) => {
        seen += data.toString('latin1');
        for (let end = seen.indexOf('\r\n\r\n'); end !== -1; end = seen.indexOf('\r\n\r\n')) {
          seen = seen.slice(end + 4);
          queue = queue.then(() => self.respond(socket, size, piece));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const self = new BulkServer(server, (server.address() as net.AddressInfo).port);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async respond(socket: net.Socket, size: number, piece: number): Promise<void> {
    const chunk = Buffer.alloc(piece, 0x62);
    if (!socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`)) await drained(socket);
    for (let left = size; left > 0 && !socket.destroyed; left -= piece) {
      const n = Math.min(piece, left);
      const ok = socket.write(n === piece ? chunk : chunk.subarray(0, n));
      this.sent += n;
      if (!ok) await drained(socket);
    }
  }

  close(): Promise<void> {
    this.sockets.forEach((socket) => socket.destroy());
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

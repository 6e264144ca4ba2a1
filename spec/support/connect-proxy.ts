/**
 * A forward proxy for the specs: node:http's 'connect' event, answering
 * CONNECT (RFC 9110 §9.3.6) with a tunnel to 127.0.0.1. It records every
 * CONNECT it is asked, can demand credentials, refuse, or hang up.
 */
import * as http from 'node:http';
import * as net from 'node:net';

export interface ProxyRequest {
  /** The request target, `host:port` (authority-form). */
  readonly target: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface ProxyBehaviour {
  /** `user:password` the proxy demands in `Proxy-Authorization: Basic`; 407 without it. */
  credentials?: string;
  /** Where a target goes: `host:port` → a port on 127.0.0.1. Unlisted targets are refused with 502. */
  routes?: Record<string, number>;
  /** Answer this status instead of a tunnel. */
  status?: number;
  /** Close the connection without answering. */
  hangUp?: boolean;
}

export class ConnectProxy {
  readonly requests: ProxyRequest[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  /** `http://127.0.0.1:PORT`; pass `credentials` to put `user:password@` in it. */
  url(credentials?: string): string {
    return `http://${credentials === undefined ? '' : `${credentials}@`}127.0.0.1:${this.port}`;
  }

  static async start(behaviour: ProxyBehaviour): Promise<ConnectProxy> {
    const server = http.createServer((_req, res) => res.writeHead(405).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new ConnectProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => proxy.tunnel(behaviour, req, client, head));
    return proxy;
  }

  private tunnel(behaviour: ProxyBehaviour, req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    const target = req.url ?? '';
    this.requests.push({ target, headers: req.headers });
    this.track(client);
    if (behaviour.hangUp) return void client.destroy();
    if (behaviour.credentials !== undefined) {
      const expected = `Basic ${Buffer.from(behaviour.credentials).toString('base64')}`;
      if (req.headers['proxy-authorization'] !== expected) {
        return void client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="specs"\r\nContent-Length: 0\r\n\r\n',
        );
      }
    }
    if (behaviour.status !== undefined) return void client.end(`HTTP/1.1 ${behaviour.status} Refused\r\nContent-Length: 0\r\n\r\n`);
    const port = behaviour.routes?.[target];
    if (port === undefined) return void client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
    const upstream = net.connect({ host: '127.0.0.1', port });
    this.track(upstream);
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

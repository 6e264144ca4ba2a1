/**
 * A scripted HTTP/1.1 server on 127.0.0.1 for the connection specs: each
 * accepted socket is handed to a script that reads parsed requests and writes
 * exact bytes, split anywhere, then ends, resets or holds the connection.
 *
 * Simple on purpose: the parser re-reads its unconsumed bytes on every read,
 * quadratic but plainly right for test-sized input.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

/** A request as the client put it on the wire. */
export interface ReceivedRequest {
  method: string;
  path: string;
  version: string;
  headers: Array<[string, string]>; // in order, names as received
  header(name: string): string | undefined; // case-insensitive, duplicates joined with ', '
  body: Buffer; // Content-Length bytes, or de-chunked; empty when neither framing is given
  raw: Buffer; // the exact bytes of this request, head and body framing
}

/** `code`: 'CLIENT_CLOSED' (also a failed write), 'TIMEOUT', 'MALFORMED' or 'SERVER_CLOSED'. */
export class ScriptServerError extends Error {
  override readonly name = 'ScriptServerError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

/** Marks a promise as handled; whoever awaits it still sees the rejection, and nobody has to. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * The pause between split pieces. Two setImmediate turns: the first check phase
 * may come before the next poll phase, which is where an in-process client reads.
 */
function pause(delayMs: number | undefined): Promise<void> {
  if (delayMs !== undefined) return new Promise((resolve) => setTimeout(resolve, delayMs));
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

const malformed = (message: string) => new ScriptServerError('MALFORMED', message);

/** Decodes a chunked body starting at `pos`; null while incomplete. RFC 9112 §7.1. */
function parseChunked(buf: Buffer, pos: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  for (;;) {
    const eol = buf.indexOf(CRLF, pos);
    if (eol < 0) return null;
    const sizeText = buf.toString('latin1', pos, eol).split(';')[0]!.trim(); // §7.1.1: extensions ignored
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw malformed(`bad chunk size ${JSON.stringify(sizeText)}`);
    const size = parseInt(sizeText, 16);
    pos = eol + 2;
    if (size === 0) {
      for (;;) {
        // §7.1.2: trailer field lines, then an empty line.
        const end = buf.indexOf(CRLF, pos);
        if (end < 0) return null;
        const empty = end === pos;
        pos = end + 2;
        if (empty) return { body: Buffer.concat(parts), end: pos };
      }
    }
    if (buf.length < pos + size + 2) return null;
    if (buf[pos + size] !== 13 || buf[pos + size + 1] !== 10) throw malformed('chunk data not followed by CRLF');
    parts.push(buf.subarray(pos, pos + size));
    pos += size + 2;
  }
}

/** Parses one request from the start of `buf`; null while incomplete. */
function parseRequest(buf: Buffer): { request: ReceivedRequest; end: number } | null {
  const headEnd = buf.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const [requestLine, ...fieldLines] = buf.toString('latin1', 0, headEnd).split('\r\n');
  const parts = requestLine!.split(' ');
  if (parts.length !== 3) throw malformed(`bad request line ${JSON.stringify(requestLine)}`);
  const [method, path, version] = parts as [string, string, string];
  const headers = fieldLines.map((line): [string, string] => {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`bad header line ${JSON.stringify(line)}`);
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const header = (name: string): string | undefined => {
    const values = headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
    return values.length ? values.join(', ') : undefined;
  };

  let body: Buffer = Buffer.alloc(0);
  let end = headEnd + 4;
  const te = header('transfer-encoding');
  const cl = header('content-length');
  if (te !== undefined) {
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; a request's final coding must be chunked.
    if (te.split(',').pop()!.trim().toLowerCase() !== 'chunked') throw malformed(`final coding is not chunked: ${te}`);
    const chunked = parseChunked(buf, end);
    if (!chunked) return null;
    ({ body, end } = chunked);
  } else if (cl !== undefined) {
    const lengths = new Set(cl.split(',').map((v) => v.trim()));
    const [length] = lengths;
    if (lengths.size !== 1 || !/^\d+$/.test(length!)) throw malformed(`bad Content-Length ${cl}`);
    const bodyEnd = end + Number(length);
    if (buf.length < bodyEnd) return null;
    body = Buffer.from(buf.subarray(end, bodyEnd));
    end = bodyEnd;
  }
  return { request: { method, path, version, headers, header, body, raw: Buffer.from(buf.subarray(0, end)) }, end };
}

interface Waiter {
  resolve(request: ReceivedRequest): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
}

/** One accepted socket, as a script sees it. */
export class ServerConnection {
  /** Every byte received so far, in read order. */
  private readonly chunks: Buffer[] = [];
  /** Received bytes not yet parsed into a request. */
  private pending: Buffer = Buffer.alloc(0);
  /** Parsed requests that no nextRequest() has taken yet. */
  private readonly ready: ReceivedRequest[] = [];
  /** nextRequest() calls waiting for a request, oldest first. */
  private readonly waiters: Waiter[] = [];
  /** Set once the stream cannot be parsed; later nextRequest() calls reject with it. */
  private parseError: ScriptServerError | undefined;
  /** Writes and end() run one after another, so split pieces never interleave. */
  private writeChain: Promise<unknown> = Promise.resolve();
  /** The client sent FIN. */
  private ended = false;
  /** The socket has closed, by either side. */
  private isClosed = false;

  /** Resolves when the socket is closed, by either side. Never rejects. */
  readonly closed: Promise<void>;

  /** @internal Made by ScriptServer; `deliver` records each request handed out. */
  constructor(
    readonly index: number,
    private readonly socket: net.Socket,
    private readonly deliver: (r: ReceivedRequest) => void,
  ) {
    socket.on('error', () => undefined); // ECONNRESET and the like; 'close' follows.
    // Read now: a closed TLS socket no longer knows how its handshake went.
    const secure = socket as tls.TLSSocket;
    this.tls =
      typeof secure.isSessionReused !== 'function'
        ? null
        : {
            servername: (secure as unknown as { servername: string | false }).servername,
            alpn: secure.alpnProtocol ?? false,
            resumed: secure.isSessionReused(),
          };
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('end', () => {
      this.ended = true;
      this.settle();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.settle();
        resolve();
      }),
    );
  }

  /** On a TLS server: what the handshake settled (SNI name sent, ALPN protocol, a resumed session); null on plain TCP. */
  readonly tls: { servername: string | false; alpn: string | false; resumed: boolean } | null;

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get clientEnded(): boolean {
    return this.ended;
  }

  /** The next complete request; rejects if the client closes first, or after `timeoutMs` (Infinity: never). */
  nextRequest(timeoutMs = 2000): Promise<ReceivedRequest> {
    return handled(
      new Promise<ReceivedRequest>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject };
        if (Number.isFinite(timeoutMs)) {
          waiter.timer = setTimeout(() => {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            reject(new ScriptServerError('TIMEOUT', `no request within ${timeoutMs} ms on connection ${this.index}`));
          }, timeoutMs);
        }
        this.waiters.push(waiter);
        this.settle();
      }),
    );
  }

  /** Writes `data` (strings as latin1), cut at the `split` offsets into separate socket writes. */
  write(data: string | Buffer, options: { split?: number[]; delayMs?: number } = {}): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const cuts = [...new Set(options.split)].filter((at) => at > 0 && at < bytes.length).sort((a, b) => a - b);
    const pieces = [0, ...cuts].map((start, i) => bytes.subarray(start, cuts[i] ?? bytes.length));
    return this.enqueue(async () => {
      for (const [i, piece] of pieces.entries()) {
        if (i > 0) await pause(options.delayMs);
        await new Promise<void>((resolve, reject) => {
          const fail = (cause?: Error) =>
            reject(new ScriptServerError('CLIENT_CLOSED', `write on closed connection ${this.index}`, { cause }));
          if (this.socket.destroyed) fail();
          else this.socket.write(piece, (err) => (err ? fail(err) : resolve()));
        });
      }
    });
  }

  /** Half-closes (FIN) after pending writes. */
  end(): Promise<void> {
    return this.enqueue(
      () =>
        new Promise<void>((resolve) => {
          if (this.socket.destroyed) return resolve();
          this.socket.end(() => resolve());
          void this.closed.then(resolve);
        }),
    );
  }

  /** Aborts with RST. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.writeChain.then(task);
    this.writeChain = run.catch(() => undefined);
    return handled(run);
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    if (this.parseError) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    try {
      for (let parsed = parseRequest(this.pending); parsed; parsed = parseRequest(this.pending)) {
        this.ready.push(parsed.request);
        this.pending = this.pending.subarray(parsed.end);
      }
    } catch (e) {
      this.parseError = e as ScriptServerError;
    }
    this.settle();
  }

  /** Hands ready requests to waiters in order, then fails the rest if no more can come. */
  private settle(): void {
    while (this.waiters.length && this.ready.length) {
      const waiter = this.waiters.shift()!;
      const request = this.ready.shift()!;
      clearTimeout(waiter.timer);
      this.deliver(request);
      waiter.resolve(request);
    }
    const gone = this.ended || this.isClosed;
    const failure = this.parseError ?? (gone ? new ScriptServerError('CLIENT_CLOSED', `connection ${this.index} closed`) : undefined);
    for (const waiter of failure ? this.waiters.splice(0) : []) {
      clearTimeout(waiter.timer);
      waiter.reject(failure);
    }
  }
}

/** Runs once per accepted connection; a throw or rejection is recorded in `errors`. */
type Script = (conn: ServerConnection) => void | Promise<void>;

/** Where and how a ScriptServer listens: plain TCP on 127.0.0.1 unless told otherwise. */
export interface ListenOptions {
  /** TLS server settings (key, cert, ...): the server speaks https. */
  tls?: tls.TlsOptions;
  /** A Unix socket path to listen on instead of a TCP port; `url` is then `http://localhost`. */
  path?: string;
  /** The host name put in `url` (the server listens on 127.0.0.1 whatever it is). */
  host?: string;
}

export class ScriptServer {
  readonly connections: ServerConnection[] = [];
  /** Every request handed out by nextRequest(), across connections, in order. */
  readonly requests: ReceivedRequest[] = [];
  /** What scripts threw or rejected with. */
  readonly errors: unknown[] = [];
  /** Every accepted TCP socket still open, including TLS ones mid-handshake. */
  private readonly sockets = new Set<net.Socket>();
  /** Handshakes that failed on a TLS server (the client refused the certificate, say); not script errors. */
  readonly tlsErrors: unknown[] = [];
  /** Set once listening. */
  private address = { port: 0, url: '' };
  /** waitForConnections() calls, run on every accept and on close(). */
  private readonly connectionWaiters = new Set<() => void>();
  private closing: Promise<void> | undefined;

  private constructor(private readonly server: net.Server) {}

  get port(): number {
    return this.address.port;
  }

  /** 'http://127.0.0.1:PORT' */
  get url(): string {
    return this.address.url;
  }

  /**
   * Listens on 127.0.0.1, on a free port, and runs `script` for each accepted
   * connection. A script's error goes to `errors` and its connection is
   * destroyed, so the client fails fast rather than waiting for a response.
   *
   * @example
   * const server = await ScriptServer.start(async (conn) => {
   *   await conn.nextRequest();
   *   await conn.write(response(200, 'hello'), { split: [5, 20] });
   *   await conn.end();
   * });
   */
  static start(script: Script, options: ListenOptions = {}): Promise<ScriptServer> {
    return new Promise((resolve, reject) => {
      // allowHalfOpen: a client's FIN leaves our side open, so a script may still answer.
      const server =
        options.tls !== undefined ? tls.createServer({ allowHalfOpen: true, ...options.tls }) : net.createServer({ allowHalfOpen: true });
      const self = new ScriptServer(server);
      // A TLS server hands over sockets once the handshake is done; a failed one is recorded.
      if (options.tls !== undefined) server.on('tlsClientError', (err) => self.tlsErrors.push(err));
      // Sockets whose handshake never completed are not connections of a script, but close() must end them too.
      server.on('connection', (socket: net.Socket) => {
        self.sockets.add(socket);
        socket.on('close', () => self.sockets.delete(socket));
      });
      server.on(options.tls !== undefined ? 'secureConnection' : 'connection', (socket: net.Socket) => {
        const conn = new ServerConnection(self.connections.length, socket, (r) => self.requests.push(r));
        self.connections.push(conn);
        self.connectionWaiters.forEach((check) => check());
        Promise.resolve()
          .then(() => script(conn))
          .catch((e) => {
            self.errors.push(e);
            conn.destroy();
          });
      });
      server.once('error', reject);
      const listening = () => {
        server.off('error', reject).on('error', (e) => self.errors.push(e));
        const scheme = options.tls !== undefined ? 'https' : 'http';
        if (options.path !== undefined) {
          self.address = { port: 0, url: `${scheme}://localhost` };
        } else {
          const { port } = server.address() as net.AddressInfo;
          self.address = { port, url: `${scheme}://${options.host ?? '127.0.0.1'}:${port}` };
        }
        resolve(self);
      };
      if (options.path !== undefined) server.listen(options.path, listening);
      else server.listen(0, '127.0.0.1', listening);
    });
  }

  /**
   * A keep-alive server that answers each request with `respond`'s bytes until
   * the client closes, then half-closes too. `index` counts requests across connections.
   *
   * @example
   * const server = await ScriptServer.respondEach((req, _conn, i) => response(200, `${i} ${req.path}`));
   */
  static respondEach(
    respond: (req: ReceivedRequest, conn: ServerConnection, index: number) => string | Buffer | Promise<string | Buffer>,
    options: ListenOptions = {},
  ): Promise<ScriptServer> {
    let count = 0;
    return ScriptServer.start(async (conn) => {
      for (;;) {
        try {
          const req = await conn.nextRequest(Infinity);
          await conn.write(await respond(req, conn, count++));
        } catch (e) {
          // The client going away, while we wait or while we write, ends the loop quietly.
          if (e instanceof ScriptServerError && e.code === 'CLIENT_CLOSED') return conn.end();
          throw e;
        }
      }
    }, options);
  }

  /** Resolves once `n` connections have been accepted in all. */
  waitForConnections(n: number, timeoutMs = 2000): Promise<void> {
    return handled(
      new Promise<void>((resolve, reject) => {
        const settle = (error?: ScriptServerError) => {
          clearTimeout(timer);
          this.connectionWaiters.delete(check);
          return error ? reject(error) : resolve();
        };
        const check = () => {
          if (this.connections.length >= n) settle();
          else if (this.closing)
            settle(new ScriptServerError('SERVER_CLOSED', `server closed with ${this.connections.length} of ${n} connections`));
        };
        const timer = setTimeout(
          () => settle(new ScriptServerError('TIMEOUT', `${this.connections.length} of ${n} connections within ${timeoutMs} ms`)),
          timeoutMs,
        );
        this.connectionWaiters.add(check);
        check();
      }),
    );
  }

  /** Destroys every socket and stops listening; idempotent, and leaves no handle behind. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.connections.forEach((conn) => conn.destroy());
      this.sockets.forEach((socket) => socket.destroy());
    }).then(async () => void (await Promise.all(this.connections.map((conn) => conn.closed))));
    this.connectionWaiters.forEach((check) => check());
    return this.closing;
  }
}

/**
 * A complete response for short scripts, framed by Content-Length unless
 * `headers` sets Content-Length or Transfer-Encoding itself (to script a wrong one).
 *
 * @example
 * conn.write(response(404, 'gone', { 'Content-Type': 'text/plain' }));
 */
export function response(status: number, body = '', headers: Record<string, string> = {}): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  const framed = Object.keys(headers).some((name) => /^(content-length|transfer-encoding)$/i.test(name));
  if (!framed) lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n`);
  return `HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Status'}\r\n${lines.join('')}\r\n${body}`;
}

import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { Observable } from 'rxjs';
import { ConnectError, ConnectionClosed } from '../errors';
import { dial } from './dial';
import { describeEndpoint, type Endpoint } from './endpoint';

export interface SocketOptions {
  /** Milliseconds allowed for the connection to be made; 0 for no limit. */
  readonly connectTimeout: number;
}

/** The write side of a connected socket; the read side is the Observable that handed it out. */
export interface Wire {
  /**
   * Queues bytes. Writes made in the same tick leave in one syscall (the
   * socket is corked until the next tick), so pipelined requests share packets.
   * Returns false while the socket's buffer is over its high-water mark.
   */
  write(bytes: Uint8Array): boolean;
  /** Bytes queued in the socket and not yet handed to the kernel. */
  readonly buffered: number;
  /** Bytes the kernel has taken so far: it grows while the peer reads, and stops when the peer stops reading. */
  readonly accepted: number;
  /** Calls back once when the socket's buffer has drained after write() returned false. */
  whenDrained(callback: () => void): void;
  /** Stops reading: no more bytes are emitted until resume(), and TCP flow control holds the server back. */
  pause(): void;
  resume(): void;
  /** An idle socket must not keep the process alive; a busy one must. */
  setIdle(idle: boolean): void;
  /** Who is at the other end, as connected. */
  readonly peer: Peer;
  /**
   * Half-closes (FIN) and resolves once the socket is closed: when the peer
   * has closed its side too, or after `graceMs` (then the socket is
   * destroyed), so a clean close never shows the peer a reset.
   */
  end(graceMs: number): Promise<void>;
}

/** The far end of a connected socket. */
export interface Peer {
  /** `ip:port` (the proxy's, through a tunnel) or the Unix socket path. */
  readonly address: string | null;
  /** The negotiated TLS version and whether the session was resumed; null without TLS. */
  readonly tls: { readonly protocol: string | null; readonly resumed: boolean } | null;
}

/**
 * The socket as an Observable: subscribing connects, each read is emitted as
 * it comes, the peer's end of stream completes, and unsubscribing destroys
 * the socket. `onConnect` receives the write side once connected.
 *
 * Errors are already httpio's: a failure to connect is ConnectError; once
 * connected, every way a socket goes away (reset, broken pipe, abort, a
 * destroy from elsewhere) is ConnectionClosed with the errno error as `cause`.
 * The connection decides, per request, whether it was `sent`.
 *
 * @example
 * openSocket({ hostname: '127.0.0.1', port: 8080 }, { connectTimeout: 5000 }, (wire) => wire.write(bytes))
 *   .subscribe((chunk) => parser.execute(chunk));
 */
export function openSocket(endpoint: Endpoint, options: SocketOptions, onConnect: (wire: Wire) => void): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    const target = describeEndpoint(endpoint);
    let socket: net.Socket | null = null;

    let timer: NodeJS.Timeout | undefined;
    if (options.connectTimeout > 0) {
      timer = setTimeout(() => {
        subscriber.error(new ConnectError(`could not connect to ${target} within connectTimeout (${options.connectTimeout} ms)`));
      }, options.connectTimeout);
    }

    const abort = dial(endpoint, (err, ready) => {
      clearTimeout(timer);
      if (err !== null) return subscriber.error(err);
      socket = ready!;
      onConnect(attach(socket, subscriber, target, peerOf(socket, endpoint)));
    });

    return () => {
      clearTimeout(timer);
      abort();
      socket?.destroy();
    };
  });
}

/** Makes a connected socket the source of `subscriber` and returns its write side. */
function attach(
  socket: net.Socket,
  subscriber: { next(chunk: Uint8Array): void; error(err: unknown): void; complete(): void },
  target: string,
  peer: Peer,
): Wire {
  let corked = false;
  /** Bytes handed to write() so far. */
  let written = 0;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.on('data', (chunk: Buffer) => subscriber.next(chunk));
  socket.on('end', () => subscriber.complete());
  // The listener stays for the socket's life: an 'error' after teardown
  // (a write racing the destroy) must not become an uncaught exception.
  socket.on('error', (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message;
    subscriber.error(new ConnectionClosed(`the connection to ${target} was lost: ${code}`, { sent: false, cause: err }));
  });
  socket.on('close', () => {
    subscriber.error(new ConnectionClosed(`the connection to ${target} was closed`, { sent: false }));
  });
  // A tunnel arrives paused, so that nothing was read before these listeners.
  socket.resume();
  return {
    write(bytes) {
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      written += bytes.length;
      return socket.write(bytes);
    },
    get buffered() {
      return socket.writableLength;
    },
    get accepted() {
      // Counted here: socket.bytesWritten walks the whole write buffer, and
      // this is read once per response.
      return written - socket.writableLength;
    },
    whenDrained(callback) {
      socket.once('drain', callback);
    },
    pause() {
      socket.pause();
    },
    resume() {
      socket.resume();
    },
    setIdle(idle) {
      if (idle) socket.unref();
      else socket.ref();
    },
    peer,
    end(graceMs) {
      return new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        // Held until closed: close() resolves before a process may exit.
        socket.ref();
        const timer = setTimeout(() => socket.destroy(), graceMs).unref();
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
    },
  };
}

function peerOf(socket: net.Socket, endpoint: Endpoint): Peer {
  const secure = socket as tls.TLSSocket;
  const host = socket.remoteAddress;
  const address = endpoint.socketPath ?? (host === undefined ? null : `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort}`);
  const tlsInfo = typeof secure.getProtocol === 'function' ? { protocol: secure.getProtocol(), resumed: secure.isSessionReused() } : null;
  return { address, tls: tlsInfo };
}

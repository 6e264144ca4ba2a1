import * as net from 'node:net';
import type * as tls from 'node:tls';
import { ConnectError } from '../errors';
import { describeEndpoint, type Endpoint } from './endpoint';
import { openTunnel } from './proxy';
import { describeTlsFailure, startTls } from './tls';

/**
 * Makes the endpoint's connection — TCP or a Unix socket, through a CONNECT
 * tunnel when a proxy is set, with TLS on top for `https:` — and calls
 * `done` once: with the socket, connected and verified, ready for HTTP
 * bytes; or with a ConnectError that names the origin and the reason, with
 * Node's error as `cause`. Returns a function that abandons the attempt.
 *
 * @example
 * const abort = dial(endpoint, (err, socket) => (err ? fail(err) : speakHttp(socket!)));
 */
export function dial(endpoint: Endpoint, done: (err: ConnectError | null, socket: net.Socket | null) => void): () => void {
  try {
    return start(endpoint, done);
  } catch (err) {
    // Node throws at once for settings it cannot use (a malformed tls.ca or key, say).
    done(new ConnectError(`could not connect to ${describeEndpoint(endpoint)}: ${(err as Error).message}`, { cause: err }), null);
    return () => undefined;
  }
}

function start(endpoint: Endpoint, done: (err: ConnectError | null, socket: net.Socket | null) => void): () => void {
  let current: net.Socket | null = null;
  let settled = false;
  const settle = (err: ConnectError | null, socket: net.Socket | null) => {
    if (settled) return;
    settled = true;
    if (err !== null) current?.destroy();
    done(err, socket);
  };

  const secure = (over: net.Socket | null) => {
    const socket = startTls(endpoint, over);
    current = socket;
    watch(socket, endpoint, true, settle);
    socket.once('secureConnect', () => {
      socket.setNoDelay(true);
      settle(null, socket);
    });
  };

  let abortTunnel: (() => void) | null = null;
  if (endpoint.proxy !== null) {
    abortTunnel = openTunnel(endpoint, (err, tunnel) => {
      abortTunnel = null;
      if (err !== null) return settle(err, null);
      if (endpoint.tls === null) return settle(null, tunnel);
      // The proxy must not speak for the origin: TLS starts on a quiet socket.
      if (tunnel!.readableLength > 0) {
        tunnel!.destroy();
        return settle(
          new ConnectError(
            `could not connect to ${describeEndpoint(endpoint)}: the proxy sent bytes after its CONNECT answer, before the TLS handshake`,
          ),
          null,
        );
      }
      secure(tunnel);
    });
  } else if (endpoint.tls !== null) {
    secure(null);
  } else {
    const socket =
      endpoint.socketPath !== null
        ? net.connect({ path: endpoint.socketPath })
        : net.connect({ host: endpoint.hostname, port: endpoint.port, noDelay: true });
    current = socket;
    watch(socket, endpoint, false, settle);
    socket.once('connect', () => settle(null, socket));
  }

  return () => {
    if (settled) return;
    settled = true;
    abortTunnel?.();
    current?.destroy();
  };
}

/** Turns the failures of a socket being connected into one ConnectError naming the endpoint. */
function watch(
  socket: net.Socket | tls.TLSSocket,
  endpoint: Endpoint,
  secure: boolean,
  settle: (err: ConnectError, socket: null) => void,
): void {
  const where = describeEndpoint(endpoint);
  // The listener stays for the socket's life: an 'error' after the hand-off
  // is the new owner's to report, and must not become an uncaught exception.
  socket.on('error', (err: NodeJS.ErrnoException) => {
    // A session that led to a failed handshake is not offered again.
    if (secure) endpoint.sessions.clear();
    const why = secure && !isSocketLevel(err) ? describeTlsFailure(err) : (err.code ?? err.message);
    settle(new ConnectError(`could not connect to ${where}: ${why}`, { cause: err }), null);
  });
  socket.once('close', () => {
    settle(new ConnectError(`could not connect to ${where}: the connection closed${secure ? ' during the TLS handshake' : ''}`), null);
  });
}

/** Errors of the TCP connect itself (refused, unreachable, no such name), as opposed to the handshake. */
function isSocketLevel(err: NodeJS.ErrnoException): boolean {
  return err.syscall === 'connect' || err.syscall === 'getaddrinfo' || err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
}

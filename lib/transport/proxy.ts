import * as net from 'node:net';
import { ConnectError } from '../errors';
import { ResponseParser } from '../http1/parser';
import type { Endpoint, ProxyTarget } from './endpoint';
import { describeEndpoint } from './endpoint';

/**
 * Reads the `proxy` option, `http://[user:password@]host[:port]`. A TypeError
 * names what is wrong; the credentials (percent-decoded, RFC 3986 §3.2.1)
 * become a `Proxy-Authorization: Basic` value (RFC 9110 §11.7.1).
 *
 * @example
 * parseProxy('http://alice:s%40cret@proxy.internal:3128').authorization; // 'Basic YWxpY2U6c0BjcmV0'
 */
export function parseProxy(url: string | URL): ProxyTarget {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    // Credentials never appear in a message: errors end up in logs.
    throw new TypeError(`option proxy is not a URL: ${JSON.stringify(String(url).replace(/\/\/[^/@]*@/, '//***@'))}`);
  }
  if (parsed.protocol !== 'http:') {
    throw new TypeError(`option proxy must be an http: URL (a CONNECT proxy spoken to in plain HTTP), got ${parsed.protocol}`);
  }
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash) {
    throw new TypeError(`option proxy is a proxy's address, without a path, query or fragment: ${parsed.host}${parsed.pathname}`);
  }
  const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const port = parsed.port ? Number(parsed.port) : 80;
  let authorization: string | null = null;
  if (parsed.username || parsed.password) {
    let user: string;
    let password: string;
    try {
      user = decodeURIComponent(parsed.username);
      password = decodeURIComponent(parsed.password);
    } catch {
      throw new TypeError('option proxy has credentials that are not valid percent-encoding');
    }
    authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  }
  return { hostname, port, authorization, label: `${parsed.hostname}:${port}` };
}

/**
 * Opens a CONNECT tunnel to the endpoint's origin through its proxy
 * (RFC 9110 §9.3.6) and calls `done` once with the socket, ready to carry
 * the origin's bytes (paused: the caller resumes it), or with a
 * ConnectError: the proxy unreachable, closing, or answering other than
 * 2xx. The origin's name is resolved by the proxy, never here. Returns a
 * function that abandons the attempt.
 *
 * @example
 * const abort = openTunnel(endpoint, (err, socket) => (err ? fail(err) : startTls(endpoint, socket)));
 */
export function openTunnel(endpoint: Endpoint, done: (err: ConnectError | null, socket: net.Socket | null) => void): () => void {
  const proxy = endpoint.proxy!;
  const where = describeEndpoint(endpoint);
  const socket = net.connect({ host: proxy.hostname, port: proxy.port, noDelay: true });
  let reached = false;
  let settled = false;
  const settle = (err: ConnectError | null) => {
    if (settled) return;
    settled = true;
    socket.off('data', onData);
    if (err === null) return done(null, socket);
    socket.destroy();
    done(err, null);
  };

  let status = 0;
  let reason = '';
  const parser = new ResponseParser({
    // RFC 9112 §6.3 ¶2: a 2xx answer to CONNECT has no body; the tunnel
    // starts after its head. Another answer is not read any further.
    headRequest: () => true,
    onEvent(event) {
      if (event.type !== 'head') return;
      status = event.status;
      reason = event.reason;
      parser.stop();
    },
  });
  const onData = (chunk: Buffer) => {
    let used: number;
    try {
      used = parser.execute(chunk);
    } catch (err) {
      settle(
        new ConnectError(`could not connect to ${where}: the proxy's answer to CONNECT is not HTTP/1.1: ${(err as Error).message}`, {
          cause: err,
        }),
      );
      return;
    }
    if (status === 0) return;
    socket.pause();
    if (status < 200 || status > 299) return settle(new ConnectError(`could not connect to ${where}: ${refusal(status, reason, proxy)}`));
    // The origin speaks only after our first bytes; anything here came early.
    if (used < chunk.length) socket.unshift(chunk.subarray(used));
    settle(null);
  };

  socket.on('connect', () => {
    reached = true;
    const authority = `${endpoint.hostname.includes(':') ? `[${endpoint.hostname}]` : endpoint.hostname}:${endpoint.port}`;
    const auth = proxy.authorization === null ? '' : `Proxy-Authorization: ${proxy.authorization}\r\n`;
    // RFC 9110 §9.3.6: the target is authority-form, and so is Host.
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`, 'latin1');
  });
  socket.on('data', onData);
  // The listener stays for the socket's life: an 'error' after the hand-off
  // is the new owner's to report, and must not become an uncaught exception.
  socket.on('error', (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message;
    settle(
      new ConnectError(
        reached
          ? `could not connect to ${where}: the proxy connection failed: ${code}`
          : `could not reach the proxy ${proxy.label} for ${where}: ${code}`,
        { cause: err },
      ),
    );
  });
  socket.on('close', () =>
    settle(new ConnectError(`could not connect to ${where}: the proxy closed the connection before answering CONNECT`)),
  );
  return () => {
    if (settled) return;
    settled = true;
    socket.destroy();
  };
}

/** A proxy's non-2xx answer to CONNECT, in words. */
function refusal(status: number, reason: string, proxy: ProxyTarget): string {
  const answered = `the proxy answered ${status}${reason ? ` ${reason}` : ''}`;
  if (status === 407) {
    return proxy.authorization === null
      ? `${answered}: proxy authentication required (put user:password in the proxy URL)`
      : `${answered}: proxy authentication required, and it refused the credentials in the proxy URL`;
  }
  return `${answered} to CONNECT`;
}

import type { ResolvedOptions } from '../options';
import { SessionCache, type Endpoint } from '../transport/endpoint';
import { parseProxy } from '../transport/proxy';

/** The origin a connection talks to: where its bytes go and what to send as `Host`. */
export interface Origin {
  readonly endpoint: Endpoint;
  /** The Host field value (RFC 9110 §7.2): host, and port when not the scheme's default. */
  readonly host: string;
  /** `scheme://host[:port]`, for events and messages. */
  readonly name: string;
}

/**
 * Parses `http://host[:port]` or `https://host[:port]` and the transport
 * options into an origin; anything a connection cannot honour is a
 * TypeError naming it.
 *
 * @example
 * parseOrigin('https://store.internal', { tls: { ca } }).endpoint.port; // 443
 */
export function parseOrigin(url: string | URL, options: Pick<ResolvedOptions, 'tls' | 'proxy' | 'socketPath'> = {}): Origin {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    throw new TypeError(`invalid URL ${JSON.stringify(String(url))}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`unsupported protocol ${parsed.protocol} in ${parsed.href}: use http: or https:`);
  }
  if (parsed.username || parsed.password) {
    throw new TypeError('credentials in the URL are not sent: pass an Authorization header instead');
  }
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash) {
    throw new TypeError(`a connection URL is an origin, without a path, query or fragment: ${parsed.href}`);
  }
  const secure = parsed.protocol === 'https:';
  const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const endpoint: Endpoint = {
    hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 443 : 80,
    tls: secure ? (options.tls ?? {}) : null,
    proxy: options.proxy === undefined ? null : parseProxy(options.proxy),
    socketPath: options.socketPath ?? null,
    sessions: new SessionCache(),
  };
  // URL drops a scheme's default port, so `host` is already the Host value.
  return { endpoint, host: parsed.host, name: `${parsed.protocol}//${parsed.host}` };
}

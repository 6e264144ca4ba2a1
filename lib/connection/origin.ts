import type { Endpoint } from '../transport/socket';

/** The origin a connection talks to: where to connect and what to send as `Host`. */
export interface Origin {
  readonly endpoint: Endpoint;
  /** The Host field value (RFC 9110 §7.2): host, and port when not the default. */
  readonly host: string;
}

/** Parses `http://host[:port]`; anything a connection cannot honour is a TypeError naming it. */
export function parseOrigin(url: string | URL): Origin {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    throw new TypeError(`invalid URL ${JSON.stringify(String(url))}`);
  }
  if (parsed.protocol === 'https:') throw new TypeError('https: URLs are not supported yet; httpio speaks plain http: for now');
  if (parsed.protocol !== 'http:') throw new TypeError(`unsupported protocol ${parsed.protocol} in ${parsed.href}: use http:`);
  if (parsed.username || parsed.password) {
    throw new TypeError('credentials in the URL are not sent: pass an Authorization header instead');
  }
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash) {
    throw new TypeError(`a connection URL is an origin, without a path, query or fragment: ${parsed.href}`);
  }
  const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { endpoint: { hostname, port: parsed.port ? Number(parsed.port) : 80 }, host: parsed.host };
}

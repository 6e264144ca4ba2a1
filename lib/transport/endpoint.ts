import type { TlsOptions } from '../options';

/** A forward proxy that connections tunnel through with CONNECT (RFC 9110 §9.3.6). */
export interface ProxyTarget {
  /** A host name or an IP address (an IPv6 one without brackets). */
  readonly hostname: string;
  readonly port: number;
  /** The `Proxy-Authorization` value from the URL's credentials, or null. */
  readonly authorization: string | null;
  /** `host:port`, for messages (never the credentials). */
  readonly label: string;
}

/**
 * Where a connection's bytes go, and how: the origin's host and port, with
 * TLS for `https:`, through a CONNECT tunnel, or over a Unix socket.
 */
export interface Endpoint {
  /** The origin's host: a name or an IP address (an IPv6 one without brackets). */
  readonly hostname: string;
  readonly port: number;
  /** TLS settings for an `https:` origin; null for `http:`. */
  readonly tls: TlsOptions | null;
  readonly proxy: ProxyTarget | null;
  readonly socketPath: string | null;
  /** The TLS session of the last handshake, offered again on reconnect (RFC 8446 §2.2). */
  readonly sessions: SessionCache;
}

/** Holds the latest TLS session (ticket) a server handed out, for resumption. */
export class SessionCache {
  private session: Buffer | undefined = undefined;

  get(): Buffer | undefined {
    return this.session;
  }

  set(session: Buffer): void {
    this.session = session;
  }

  /** A session the server refused to resume, or from a failed handshake, is not offered again. */
  clear(): void {
    this.session = undefined;
  }
}

/** `host:port` of the origin, with brackets for IPv6, and how it is reached: for messages. */
export function describeEndpoint(endpoint: Endpoint): string {
  const host = endpoint.hostname.includes(':') ? `[${endpoint.hostname}]` : endpoint.hostname;
  const target = `${host}:${endpoint.port}`;
  if (endpoint.proxy !== null) return `${target} (through the proxy ${endpoint.proxy.label})`;
  if (endpoint.socketPath !== null) return `${target} (over the Unix socket ${endpoint.socketPath})`;
  return target;
}

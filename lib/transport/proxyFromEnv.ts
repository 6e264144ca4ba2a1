/**
 * The `proxy` option for `url`, read from the environment as undici's
 * `EnvHttpProxyAgent` and curl read it, or `undefined` for a direct
 * connection.
 *
 * - `https:` URLs use `https_proxy` (or `HTTPS_PROXY`), else the HTTP one;
 *   `http:` URLs use `http_proxy` (or `HTTP_PROXY`). Lower case wins.
 * - `no_proxy` (or `NO_PROXY`): names separated by commas or spaces; `*`
 *   matches every host; `example.com`, `.example.com` and `*.example.com`
 *   match that domain and every name under it; `host:port` only that port.
 *   IP addresses match exactly (no CIDR ranges).
 * - A value without a scheme, `proxy.internal:3128`, is taken as `http://`.
 *
 * @example
 * const url = 'https://store.example';
 * const conn = new HttpConnection(url, { proxy: proxyFromEnv(url) });
 */
export function proxyFromEnv(url: string | URL, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const target = new URL(String(url));
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return undefined;
  const pick = (lower: string, upper: string) => nonEmpty(env[lower]) ?? nonEmpty(env[upper]);
  const httpProxy = pick('http_proxy', 'HTTP_PROXY');
  const proxy = secure ? (pick('https_proxy', 'HTTPS_PROXY') ?? httpProxy) : httpProxy;
  if (proxy === undefined) return undefined;
  const hostname = (target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname).toLowerCase();
  const port = target.port ? Number(target.port) : secure ? 443 : 80;
  if (bypasses(pick('no_proxy', 'NO_PROXY') ?? '', hostname, port)) return undefined;
  return proxy.includes('://') ? proxy : `http://${proxy}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Whether a `no_proxy` list names this host and port. */
function bypasses(list: string, hostname: string, port: number): boolean {
  for (const raw of list.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const { host, port: only } = splitPort(entry);
    if (only !== null && only !== port) continue;
    const domain = host.replace(/^\*?\.?/, '');
    if (domain === '') continue;
    if (hostname === domain || hostname.endsWith(`.${domain}`)) return true;
  }
  return false;
}

function splitPort(entry: string): { host: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) return { host: bracketed[1], port: bracketed[2] === undefined ? null : Number(bracketed[2]) };
  const colon = entry.lastIndexOf(':');
  // More than one colon and no brackets: a bare IPv6 address, no port.
  if (colon === -1 || entry.indexOf(':') !== colon || !/^\d+$/.test(entry.slice(colon + 1))) return { host: entry, port: null };
  return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
}

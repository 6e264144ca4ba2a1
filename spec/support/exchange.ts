/**
 * Helpers for the connection property specs: responses written out byte for
 * byte together with what a fetch of them must yield, the paths a server saw
 * on the wire, and one bounded run against a fresh scripted server.
 */
import { HttpConnection } from '../../lib/connection/connection';
import type { ConnectionOptions } from '../../lib/options';
import { ScriptServer } from './script-server';

/**
 * How a planned response frames its body. `head` answers a HEAD request
 * (Content-Length of the body it would have, no body); `no-content` is a 204.
 */
export type Framing = 'length' | 'chunked' | 'trailers' | 'head' | 'no-content';

/** One response of an exchange: the request it answers and what a fetch of it must yield. */
export interface Planned {
  method: 'GET' | 'HEAD';
  path: string;
  status: number;
  /** The body a fetch must yield; it names the path, so a misrouted response shows. */
  body: string;
  /** Trailer fields, for `trailers` framing. */
  trailers: Array<[string, string]> | undefined;
  /** A `103 Early Hints` comes first. */
  early: boolean;
  /** The exact bytes of the response (latin1). */
  bytes: string;
}

const STATUS: Record<Framing, [number, string]> = {
  length: [200, 'OK'],
  chunked: [201, 'Created'],
  trailers: [202, 'Accepted'],
  head: [200, 'OK'],
  'no-content': [204, 'No Content'],
};

/**
 * Plans the response to `path`. Every response carries `X-Path`; a body is
 * `body of <path>` and `pad` dots. Chunked bodies are cut at `cuts` (offsets
 * into the body; empty chunks are skipped, a 0-size chunk would end the body).
 *
 * @example
 * planResponse('/1', 'trailers', { cuts: [3] }).bytes
 * // 'HTTP/1.1 202 Accepted\r\nX-Path: /1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbod\r\n...0\r\nX-Trailer: t /1\r\n\r\n'
 */
export function planResponse(path: string, framing: Framing, options: { pad?: number; cuts?: number[]; early?: boolean } = {}): Planned {
  const [status, reason] = STATUS[framing];
  const text = `body of ${path}${'.'.repeat(options.pad ?? 0)}`;
  const early = options.early ? 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' : '';
  const head = (framingField: string) => `${early}HTTP/1.1 ${status} ${reason}\r\nX-Path: ${path}\r\n${framingField}\r\n`;
  const planned = { method: 'GET' as const, path, status, trailers: undefined, early: options.early ?? false };
  switch (framing) {
    case 'length':
      return { ...planned, body: text, bytes: `${head(`Content-Length: ${text.length}\r\n`)}${text}` };
    case 'head':
      return { ...planned, method: 'HEAD', body: '', bytes: head(`Content-Length: ${text.length}\r\n`) };
    case 'no-content':
      return { ...planned, body: '', bytes: head('') };
    case 'chunked':
    case 'trailers': {
      const cuts = [...new Set(options.cuts ?? [])].filter((at) => at > 0 && at < text.length).sort((a, b) => a - b);
      const pieces = [0, ...cuts].map((start, i) => text.slice(start, cuts[i] ?? text.length));
      const chunks = pieces.map((piece, i) => `${piece.length.toString(16)}${i % 2 ? ';ext=1' : ''}\r\n${piece}\r\n`).join('');
      const trailers: Array<[string, string]> | undefined = framing === 'trailers' ? [['X-Trailer', `t ${path}`]] : undefined;
      const trailerLines = (trailers ?? []).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      return { ...planned, trailers, body: text, bytes: `${head('Transfer-Encoding: chunked\r\n')}${chunks}0\r\n${trailerLines}\r\n` };
    }
  }
}

/** The request-line paths in `received` (one connection's bytes), in wire order. */
export function wirePaths(received: Buffer): string[] {
  return [...received.toString('latin1').matchAll(/^[A-Z]+ (\S+) HTTP\/1\.1\r$/gm)].map((m) => m[1]!);
}

type Script = Parameters<typeof ScriptServer.start>[0];

/**
 * One run of a property: a fresh server and connection, `body`, then
 * `destroy()` and `server.close()` whatever happened. A run that takes longer
 * than `timeoutMs` fails rather than blocks the suite.
 */
export async function withServer<T>(
  script: Script,
  options: ConnectionOptions | undefined,
  timeoutMs: number,
  body: (server: ScriptServer, conn: HttpConnection) => Promise<T>,
): Promise<T> {
  const server = await ScriptServer.start(script);
  const conn = new HttpConnection(server.url, options);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the run did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([body(server, conn), expired]);
  } finally {
    clearTimeout(timer);
    conn.destroy();
    await server.close();
  }
}

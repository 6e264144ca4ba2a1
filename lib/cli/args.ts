import { parseArgs } from 'node:util';

/** A command line httpio cannot run: exit status 2, with this message and the usage hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What the command line asks for, checked; URLs from `-i` files are read later (see input.ts). */
export interface Config {
  /** URLs given as arguments, in order, not yet parsed. */
  readonly urls: readonly string[];
  /** `-i` files, in order; `-` is stdin. */
  readonly inputs: readonly string[];
  /** `-o DIR`, or undefined: bodies go to stdout. */
  readonly outputDir: string | undefined;
  /** `-X`, else POST with `-d`, else GET. */
  readonly method: string;
  /** `-H` fields, in order, repeats kept. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** `-d`: the text itself, or a file (`@file`) streamed as the body; undefined: no body. */
  readonly data: { readonly text: string } | { readonly file: string } | undefined;
  /** `-p`: requests pipelined per connection (maxPipelined). */
  readonly depth: number;
  /** `-c`: connections per origin. */
  readonly connections: number;
  /** `-s`: no progress bar, no failure lines. */
  readonly silent: boolean;
  /** `--json`: one summary line per URL on stdout instead of bodies. */
  readonly json: boolean;
  /** `--help` or `--version`: print that and do nothing else. */
  readonly info: 'help' | 'version' | undefined;
}

/** The defaults of `-p` and `-c`: those of httpio itself (maxPipelined 10, connectionsPerOrigin 4). */
export const DEFAULT_DEPTH = 10;
export const DEFAULT_CONNECTIONS = 4;

/** The one line printed after a usage error. */
export const USAGE_HINT = 'usage: httpio [options] URL...   (httpio --help for the options)';

/** `httpio --help`. */
export const HELP = `usage: httpio [options] URL...

Fetches every URL (http: or https:) with pipelined HTTP/1.1 connections and
writes the bodies to stdout in the order given.

  -i, --input FILE        read URLs from FILE, one a line (blank lines and
                          lines starting with # are skipped); - is stdin;
                          repeatable; after the URLs given as arguments
  -o, --output DIR        write each body to its own file in DIR (created if
                          missing), named from the URL (docs/cli.md)
  -X, --request METHOD    the request method (default GET, or POST with -d)
  -H, --header 'N: V'     add a request header field; repeatable
  -d, --data DATA         send DATA as the body; @FILE streams FILE
  -p, --pipeline N        requests pipelined per connection (default ${DEFAULT_DEPTH})
  -c, --connections N     connections per origin (default ${DEFAULT_CONNECTIONS})
  -s, --silent            no progress bar and no failure lines on stderr
      --json              one JSON line per URL on stdout (url, status,
                          bytes, ms, error) instead of the bodies
  -h, --help              this text
  -V, --version           the version of httpio

Exit status: 0 when every response is 2xx, 1 when some URL failed (a
non-2xx status or an error; its body is not written), 2 for bad usage.
`;

/** RFC 9110 §5.6.2: a method and a field name are tokens. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses the arguments after `node main.js` with `node:util` parseArgs.
 * Throws UsageError for an unknown option, a missing value, a bad number,
 * a bad method or header, or no URL and no `-i` at all.
 *
 * @example
 * parseCommandLine(['-p', '16', '-o', 'out', 'http://127.0.0.1:8080/a']).depth; // 16
 */
export function parseCommandLine(argv: readonly string[]): Config {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        input: { type: 'string', short: 'i', multiple: true },
        output: { type: 'string', short: 'o' },
        request: { type: 'string', short: 'X' },
        header: { type: 'string', short: 'H', multiple: true },
        // multiple, only to refuse a second -d: curl would join them with '&', which is easy to get wrong.
        data: { type: 'string', short: 'd', multiple: true },
        pipeline: { type: 'string', short: 'p' },
        connections: { type: 'string', short: 'c' },
        silent: { type: 'boolean', short: 's' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    // parseArgs' messages name the option ("Unknown option '-z'"); its hints about '--' are for scripts, not users.
    throw new UsageError((err as Error).message.split('. To specify')[0]!);
  }
  const { values, positionals } = parsed;
  const info = values.help ? 'help' : values.version ? 'version' : undefined;

  const data = values.data ?? [];
  if (data.length > 1) throw new UsageError('-d given more than once');
  const method = values.request ?? (data.length > 0 ? 'POST' : 'GET');
  if (!TOKEN.test(method)) throw new UsageError(`-X ${JSON.stringify(method)}: not a method name`);
  if (values.output === '') throw new UsageError('-o needs a directory');

  const config: Config = {
    urls: positionals,
    inputs: values.input ?? [],
    outputDir: values.output,
    method,
    headers: (values.header ?? []).map(parseHeader),
    data: data.length === 0 ? undefined : data[0]!.startsWith('@') ? { file: data[0]!.slice(1) } : { text: data[0]! },
    depth: count('-p', values.pipeline, DEFAULT_DEPTH),
    connections: count('-c', values.connections, DEFAULT_CONNECTIONS),
    silent: values.silent ?? false,
    json: values.json ?? false,
    info,
  };
  if (info === undefined && config.urls.length === 0 && config.inputs.length === 0) throw new UsageError('no URL given');
  if (config.inputs.filter((f) => f === '-').length > 1) throw new UsageError('-i - given more than once');
  if (config.data !== undefined && 'file' in config.data && config.data.file === '') throw new UsageError('-d @ needs a file name');
  return config;
}

/** A positive integer option: digits only, so '1e3', '0x10', '8.5' and ' 8' are refused rather than guessed at. */
function count(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: not a whole number >= 1`);
  }
  return n;
}

/** 'Name: value' → [name, value]; the value's surrounding blanks are not part of it (RFC 9110 §5.5). */
function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon < 0 ? '' : text.slice(0, colon);
  if (!TOKEN.test(name)) throw new UsageError(`-H ${JSON.stringify(text)}: not 'Name: value'`);
  const value = text.slice(colon + 1).trim();
  // httpio itself refuses these per request; refusing them here fails once, before anything is sent.
  if (/[\r\n\0]/.test(value)) throw new UsageError(`-H ${JSON.stringify(text)}: a value may not hold CR, LF or NUL`);
  return [name, value];
}

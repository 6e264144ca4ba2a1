import * as fs from 'node:fs';
import { UsageError, type Config } from './args';

/** One URL to fetch, parsed, and where it came from (for messages). */
export interface Target {
  /** As given, trimmed: what messages and `--json` show. */
  readonly text: string;
  readonly url: URL;
}

/**
 * Every URL of the run, in order: the arguments first, then each `-i` file
 * line by line. The lists are read whole before the first request, because
 * the progress bar shows a total; a URL costs about a hundred bytes, so
 * even a million URLs is a small part of the memory a run may use.
 * Throws UsageError for an unreadable file or a line that is not an
 * absolute http: or https: URL: that is the input's fault, found before
 * anything is sent, so the run does not start rather than fail half-way.
 *
 * @example
 * const targets = await readTargets(config, process.stdin);
 */
export async function readTargets(config: Config, stdin: NodeJS.ReadableStream): Promise<Target[]> {
  const targets = config.urls.map((text, i) => target(text.trim(), `argument ${i + 1}`));
  for (const file of config.inputs) {
    let content: string;
    try {
      content = file === '-' ? await readAll(stdin) : fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`-i ${file}: ${reason(err)}`);
    }
    const name = file === '-' ? 'stdin' : file;
    // LF or CRLF; trimming each line also drops a CR.
    content.split('\n').forEach((line, i) => {
      const text = line.trim();
      if (text !== '' && !text.startsWith('#')) targets.push(target(text, `${name} line ${i + 1}`));
    });
  }
  if (targets.length === 0) throw new UsageError('no URL given (the -i input has none)');
  return targets;
}

/** `-d @file`: the file's size, checked now so that an unreadable file is a usage error, not one failure per URL. */
export function checkDataFile(file: string): number {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('not a regular file');
    fs.accessSync(file, fs.constants.R_OK);
    return stat.size;
  } catch (err) {
    throw new UsageError(`-d @${file}: ${reason(err)}`);
  }
}

/** `-o DIR`: made if missing (as `mkdir -p`), and must then be a directory. */
export function prepareOutputDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.statSync(dir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new UsageError(`-o ${dir}: ${reason(err)}`);
  }
}

function target(text: string, where: string): Target {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${where}: ${JSON.stringify(text)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${where}: ${JSON.stringify(text)} is not an http: or https: URL`);
  }
  return { text, url };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += chunk as string;
  return text;
}

/** Node's message for a file error without the syscall noise ("ENOENT: no such file or directory, open 'x'"). */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  if (e.code === 'EISDIR') return 'is a directory';
  return e.message;
}

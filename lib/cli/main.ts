#!/usr/bin/env node
/**
 * The `httpio` bin: `httpio [options] URL...`. Fetches every URL with
 * pipelined connections (HttpAgent and fetchEach) and writes the bodies to
 * stdout in the order given, or each to a file with `-o DIR`. The options
 * are in args.ts and docs/cli.md; exit status 0 when every response is
 * 2xx, 1 when some URL failed, 2 for bad usage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HELP, USAGE_HINT, UsageError, parseCommandLine } from './args';
import { checkDataFile, prepareOutputDir, readTargets } from './input';
import { Output } from './output';
import { Progress } from './progress';

/** The streams main() uses: the process's own, or fakes. */
export interface Io {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/**
 * Runs the command line `argv` (without `node` and the script) and
 * resolves with the exit status; it never calls process.exit, so whatever
 * is queued on stdout is still written.
 *
 * @example
 * main(process.argv.slice(2)).then((status) => (process.exitCode = status));
 */
export async function main(argv: readonly string[], io: Io = process): Promise<number> {
  const { stdout, stderr } = io;
  try {
    const config = parseCommandLine(argv);
    if (config.info === 'help') {
      stdout.write(HELP);
      return 0;
    }
    if (config.info === 'version') {
      stdout.write(`${version()}\n`);
      return 0;
    }
    const targets = await readTargets(config, io.stdin);
    const data =
      config.data === undefined || 'text' in config.data ? config.data : { file: config.data.file, size: checkDataFile(config.data.file) };
    if (config.outputDir !== undefined) prepareOutputDir(config.outputDir);

    // A progress line is for a person at a terminal; on a pipe or a file it would be noise in a log.
    const progress = !config.silent && stderr.isTTY ? new Progress(stderr, targets.length) : undefined;
    const report = config.silent
      ? () => {}
      : progress !== undefined
        ? (line: string) => progress.log(line)
        : (line: string) => void stderr.write(`${line}\n`);
    const output = new Output({ dir: config.outputDir, json: config.json, stdout, report });
    // Loaded only now: RxJS and httpio take a few hundred ms to load, which --help and a usage error need not wait for.
    const { run } = await import('./run');
    const job = run({
      targets,
      method: config.method,
      headers: config.headers,
      data,
      depth: config.depth,
      connections: config.connections,
      output,
      ...(progress !== undefined ? { onProgress: (done: number, bytes: number) => progress.update(done, bytes) } : {}),
    });

    // A reader that went away (`httpio ... | head`) ends the run: nothing more can be delivered.
    // Any other write error (a full disk under `> file`) does too, and says so.
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') stderr.write(`httpio: cannot write to stdout: ${err.message}\n`);
      job.abort();
    };
    stdout.on('error', onError);
    try {
      const { failures, aborted } = await job.done;
      if (aborted) return 1;
      await flushed(stdout);
      return failures === 0 ? 0 : 1;
    } finally {
      progress?.finish();
      stdout.off('error', onError);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr.write(`httpio: ${err.message}\n${USAGE_HINT}\n`);
    return 2;
  }
}

/** The version in httpio's package.json, two folders up from this file in lib/ and in dist/ alike. */
function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (status) => (process.exitCode = status),
    (err: unknown) => {
      process.stderr.write(`httpio: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HttpResponse } from '../index';
import type { Target } from './input';
import { NameAllocator } from './names';

/** What became of one URL: its response, or the error that took its place. */
export interface Result {
  readonly target: Target;
  /** Present unless `error` is (a response of any status). */
  readonly response?: HttpResponse;
  /** Why there is no response: an httpio error, which names the request. */
  readonly error?: unknown;
  /** Milliseconds from the request's start to the end of its response (or its error). */
  readonly ms: number;
}

/** Where the bytes go; process.stdout in the bin, a fake in the specs. */
export interface OutputStream {
  write(data: string | Uint8Array): boolean;
  readonly writableNeedDrain: boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** How Output was asked to write. */
export interface OutputOptions {
  /** `-o DIR`: each 2xx body to its own file; undefined: to `stdout` (unless `json`). */
  readonly dir: string | undefined;
  /** `--json`: a summary line per URL on `stdout`. */
  readonly json: boolean;
  readonly stdout: OutputStream;
  /** Takes one failure line (the URL and why); main.ts drops them with -s. */
  readonly report: (line: string) => void;
}

/**
 * Writes each result as fetchEach hands it over, that is in input order:
 * a 2xx body to stdout or to its file in `-o DIR` (made as it arrives, with
 * the name NameAllocator gives), a `--json` line, and a failure line for a
 * non-2xx status (its body is not written: a 404 page in place of the
 * resource would pass for it) or an error.
 *
 * Files are written synchronously: one open-write-close of a small file
 * costs less than the round trip through libuv's thread pool, results stay
 * in order without a queue, and no write is pending when the next response
 * comes, so memory holds no body that is not being written. stdout is
 * asynchronous on a pipe (on POSIX: Node's "note on process I/O"); `full`
 * says when it has more queued than its high-water mark, and the caller
 * then stops starting requests until `onDrain`.
 *
 * @example
 * const output = new Output({ dir: undefined, json: false, stdout: process.stdout, report: console.error });
 * if (!output.write(result)) failures++;
 */
export class Output {
  readonly #names = new NameAllocator();
  /** `-o DIR`, absolute, to check that every file lands directly in it. */
  readonly #dir: string | undefined;

  constructor(private readonly options: OutputOptions) {
    this.#dir = options.dir === undefined ? undefined : path.resolve(options.dir);
  }

  /** Writes one result; false when it is a failure (reported through `report`). */
  write(result: Result): boolean {
    const { target, response } = result;
    let error = result.error;
    let file: string | undefined;
    const ok = response !== undefined && response.ok;
    if (ok && this.#dir !== undefined) {
      file = this.#names.allocate(target.url);
      const full = path.join(this.#dir, file);
      try {
        // fileNameFor() cannot make a name that leaves the directory; this says so at the one place that matters.
        if (path.dirname(full) !== this.#dir) throw new Error(`refusing to write outside ${this.#dir}`);
        fs.writeFileSync(full, response.body);
      } catch (err) {
        error = new Error(`cannot write ${full}: ${(err as Error).message}`);
        file = undefined;
      }
    } else if (ok && !this.options.json) {
      this.options.stdout.write(response.body);
    }
    if (this.options.json) this.options.stdout.write(`${summary(result, error, file)}\n`);

    if (error !== undefined) this.options.report(`httpio: ${target.text}: ${message(error)}`);
    else if (!ok) this.options.report(`httpio: ${target.text}: HTTP ${response!.status} ${response!.reason}`.trimEnd());
    return ok && error === undefined;
  }

  /** stdout holds more than its high-water mark: start nothing new until onDrain. */
  get full(): boolean {
    return this.options.stdout.writableNeedDrain;
  }

  /** Calls `listener` once stdout has drained. */
  onDrain(listener: () => void): void {
    this.options.stdout.once('drain', listener);
  }
}

/** The `--json` line: url, status (null without a response), bytes, ms, and file and error when there are. */
function summary(result: Result, error: unknown, file: string | undefined): string {
  return JSON.stringify({
    url: result.target.text,
    status: result.response?.status ?? null,
    bytes: result.response?.body.length ?? 0,
    ms: Math.round(result.ms * 10) / 10,
    ...(file !== undefined ? { file } : {}),
    ...(error !== undefined ? { error: message(error) } : {}),
  });
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

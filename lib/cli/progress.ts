/** What the progress line shows. */
export interface ProgressState {
  /** URLs finished (written out or failed). */
  readonly done: number;
  readonly total: number;
  /** Body bytes received so far. */
  readonly bytes: number;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
}

/** The narrowest bar worth drawing; below it the line goes without one. */
const MIN_BAR = 10;

/**
 * The progress line, at most `width - 1` characters (the last column of a
 * terminal would wrap): `1200/3000  40%  5210 req/s  1.2 MiB  [####      ]`.
 * The counters come first, so a narrow terminal cuts the bar, not them.
 *
 * @example
 * formatProgress({ done: 1, total: 4, bytes: 2048, elapsedMs: 500 }, 80); // '1/4  25%  2 req/s  2.0 KiB  [###...'
 */
export function formatProgress(state: ProgressState, width = 80): string {
  const { done, total, bytes, elapsedMs } = state;
  const percent = total === 0 ? 100 : Math.floor((done * 100) / total);
  const rate = elapsedMs > 0 ? Math.round((done * 1000) / elapsedMs) : 0;
  const text = `${done}/${total}  ${String(percent).padStart(3)}%  ${rate} req/s  ${formatBytes(bytes)}`;
  const room = width - 1 - text.length - 4; // two spaces and the brackets
  if (room < MIN_BAR) return text.slice(0, Math.max(0, width - 1));
  const filled = total === 0 ? room : Math.floor((done * room) / total);
  return `${text}  [${'#'.repeat(filled)}${' '.repeat(room - filled)}]`;
}

/**
 * Bytes in binary units, one decimal from KiB on: `512 B`, `1.5 KiB`, `20.0 MiB`.
 *
 * @example
 * formatBytes(1536); // '1.5 KiB'
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The terminal a progress line is drawn on: process.stderr, or a fake in the specs. */
export interface Terminal {
  write(text: string): unknown;
  /** Columns of the terminal, when known. */
  readonly columns?: number;
}

/** Redraws at most this often: about 10 times a second, enough to look live and cheap on a fast run. */
export const REDRAW_MS = 100;

/**
 * The progress line on a terminal: redrawn in place with `\r` at most once
 * every {@link REDRAW_MS} ms (the latest state is drawn when that time has
 * passed, by an unref'd timer, so the line never lags behind for long nor
 * keeps the process alive), and wiped at the end. Messages go above it
 * through {@link log}. Only for a TTY: main.ts makes none for a pipe.
 *
 * @example
 * const progress = new Progress(process.stderr, targets.length);
 * progress.update(done, bytes);
 * progress.finish();
 */
export class Progress {
  /** The state to draw next. */
  #done = 0;
  #bytes = 0;
  /** Length of the line now on screen; 0 when there is none. */
  #shown = 0;
  /** When the line was last drawn (clock ms); -Infinity before the first time. */
  #drawnAt = -Infinity;
  /** A redraw waiting for REDRAW_MS to pass since the last one. */
  #timer: NodeJS.Timeout | undefined;
  #finished = false;
  readonly #started: number;

  constructor(
    private readonly terminal: Terminal,
    private readonly total: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.#started = clock();
  }

  /** New counts; drawn now if the last draw is old enough, else soon. */
  update(done: number, bytes: number): void {
    if (this.#finished) return;
    this.#done = done;
    this.#bytes = bytes;
    const wait = this.#drawnAt + REDRAW_MS - this.clock();
    if (wait <= 0) this.#draw();
    else this.#timer ??= setTimeout(() => this.#draw(), wait).unref();
  }

  /** A line of its own (a failure), above the progress line, which is drawn again after it. */
  log(line: string): void {
    this.#clear();
    this.terminal.write(`${line}\n`);
    if (!this.#finished) this.#draw();
  }

  /** Wipes the line for good; idempotent. */
  finish(): void {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clear();
  }

  #draw(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#finished) return;
    const now = this.clock();
    this.#drawnAt = now;
    const state = { done: this.#done, total: this.total, bytes: this.#bytes, elapsedMs: now - this.#started };
    // A pseudo-terminal with no size set reports 0 columns.
    const line = formatProgress(state, this.terminal.columns || 80);
    // Padding covers a longer line drawn before (req/s can lose a digit).
    this.terminal.write(`\r${line.padEnd(this.#shown)}`);
    this.#shown = line.length;
  }

  #clear(): void {
    if (this.#shown === 0) return;
    this.terminal.write(`\r${' '.repeat(this.#shown)}\r`);
    this.#shown = 0;
  }
}

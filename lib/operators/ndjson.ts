import { Observable, type OperatorFunction } from 'rxjs';
import type { ResponseEvent } from '../events';
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter, feedLines, limitOption, type LineOptions } from './lineSplitter';

/** How much of a bad line an ndjson() error shows. */
const PREVIEW = 40;

/**
 * The response body as newline-delimited JSON (NDJSON, JSON Lines): one
 * parsed value per line, emitted as soon as the line has arrived. Lines are
 * cut as by lines() (LF or CRLF; the last one needs no line end; the same
 * `maxLineLength`, default 1 MiB of text). Blank and whitespace-only lines
 * are skipped. A line that is not JSON errors with a SyntaxError whose
 * message gives the line's number (1-based, blank lines counted) and its
 * start, and whose `cause` is JSON.parse's error; the values before it have
 * been emitted.
 *
 * @example
 * conn.request('GET', '/export.ndjson').pipe(ensureOk(), ndjson<{ id: number }>()).subscribe((row) => save(row.id));
 */
export function ndjson<T = unknown>(options: LineOptions = {}): OperatorFunction<ResponseEvent, T> {
  const max = limitOption('ndjson()', 'maxLineLength', options.maxLineLength, DEFAULT_MAX_LINE_LENGTH);
  return (source) =>
    new Observable<T>((subscriber) => {
      const take = (line: string, lineNumber: number) => {
        if (subscriber.closed || isBlank(line)) return;
        subscriber.next(parse<T>(line, lineNumber));
      };
      const splitter = new LineSplitter('ndjson()', 'lf', max, take);
      return feedLines(source, subscriber, splitter, take);
    });
}

/** Whether a line holds only whitespace (JSON's, or any other Unicode space). */
function isBlank(line: string): boolean {
  return line.length === 0 || /^\s*$/.test(line);
}

function parse<T>(line: string, lineNumber: number): T {
  try {
    return JSON.parse(line) as T;
  } catch (err) {
    const preview = JSON.stringify(line.slice(0, PREVIEW)) + (line.length > PREVIEW ? '…' : '');
    const reason = err instanceof Error ? err.message : String(err);
    throw new SyntaxError(`ndjson(): line ${lineNumber} is not JSON (${reason}): ${preview}`, { cause: err });
  }
}

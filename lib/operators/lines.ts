import { Observable, type OperatorFunction } from 'rxjs';
import type { ResponseEvent } from '../events';
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter, feedLines, limitOption, type LineOptions } from './lineSplitter';

export type { LineOptions } from './lineSplitter';

/**
 * The response body as text lines, each emitted as soon as its line end
 * arrives. LF or CRLF ends a line (a lone CR is part of the line); the line
 * end is not included. A last line without a line end counts; an empty body
 * gives no line. The body is decoded as UTF-8 (a character split across data
 * events comes out whole, a leading BOM is dropped, malformed bytes become
 * U+FFFD).
 *
 * Takes the events of `request()` (or of decompress()): the head, interim
 * responses and trailers are skipped, and the status is not looked at — put
 * ensureOk() in front for that. A line longer than `maxLineLength` (default
 * 1 MiB of text) errors with InvalidResponse naming the limit, so memory is
 * bounded by it whatever the server sends.
 *
 * @example
 * conn.request('GET', '/var/log/app.log', { timeout: 0 }).pipe(ensureOk(), lines()).subscribe((line) => console.log(line));
 */
export function lines(options: LineOptions = {}): OperatorFunction<ResponseEvent, string> {
  const max = limitOption('lines()', 'maxLineLength', options.maxLineLength, DEFAULT_MAX_LINE_LENGTH);
  return (source) =>
    new Observable<string>((subscriber) => {
      const splitter = new LineSplitter('lines()', 'lf', max, (line) => subscriber.next(line));
      return feedLines(source, subscriber, splitter, (line) => subscriber.next(line));
    });
}

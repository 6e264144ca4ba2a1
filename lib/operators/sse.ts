import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidResponse } from '../errors';
import type { ResponseEvent } from '../events';
import { DEFAULT_MAX_LINE_LENGTH, LineSplitter, feedLines, limitOption, type LineOptions } from './lineSplitter';

/** One event of a `text/event-stream` body, as sse() dispatches it. */
export interface ServerSentEvent {
  /** The `event` field of the block, `'message'` when it had none (or an empty one). */
  readonly event: string;
  /** The block's `data` fields joined with `\n`. */
  readonly data: string;
  /**
   * The stream's last event ID (the spec's `lastEventId`): the value of the
   * latest `id` field so far, in this block or an earlier one, dispatched or
   * not. Absent while there is none or after an empty `id` field reset it.
   */
  readonly id?: string;
  /**
   * The stream's reconnection time in milliseconds: the value of the latest
   * valid `retry` field so far, in this block or an earlier one (a block with
   * only `retry` is not dispatched, its value shows on the next event).
   * Absent until the server sends one.
   */
  readonly retry?: number;
}

/** sse()'s limits. */
export interface SseOptions extends LineOptions {
  /**
   * The largest `data` of one event, in UTF-16 code units (the `\n` between
   * its lines counted); past it, InvalidResponse naming the limit. Default
   * 1 MiB.
   */
  maxEventSize?: number;
}

/** The default `maxEventSize` of sse(): 1 MiB of text. */
export const DEFAULT_MAX_EVENT_SIZE = 1024 * 1024;

/**
 * Parses a `text/event-stream` body (server-sent events) by the rules of
 * WHATWG HTML §9.2.6 "Interpreting an event stream", emitting each event as
 * soon as the blank line that ends it arrives.
 *
 * CR, LF and CRLF each end a line (a CRLF split across data events is one
 * line end); a leading BOM is dropped; lines starting with `:` are comments;
 * the first `:` splits field name and value, and one space after it is
 * removed; a line without `:` is a field with an empty value; unknown fields
 * are ignored. An `id` containing NUL is ignored; a `retry` that is not all
 * ASCII digits is ignored. A block without `data` is not dispatched. An event
 * not ended by a blank line when the body ends is dropped, as the spec says.
 *
 * Like lines(), it takes the events of `request()` (or of decompress()) and
 * does not look at the status or Content-Type: put ensureOk() in front. Lines
 * are bounded by `maxLineLength` (default 1 MiB) and one event's data by
 * `maxEventSize` (default 1 MiB): past them, InvalidResponse naming the limit.
 * An event stream is long-lived: give the request `timeout: 0` (or a long
 * one), or the connection's no-progress timeout ends it.
 *
 * @example
 * conn.request('GET', '/events', { headers: { accept: 'text/event-stream' }, timeout: 0 })
 *   .pipe(ensureOk(), sse())
 *   .subscribe(({ event, data, id }) => console.log(event, id, JSON.parse(data)));
 */
export function sse(options: SseOptions = {}): OperatorFunction<ResponseEvent, ServerSentEvent> {
  const maxLine = limitOption('sse()', 'maxLineLength', options.maxLineLength, DEFAULT_MAX_LINE_LENGTH);
  const maxEvent = limitOption('sse()', 'maxEventSize', options.maxEventSize, DEFAULT_MAX_EVENT_SIZE);
  return (source) =>
    new Observable<ServerSentEvent>((subscriber) => {
      const parser = new EventStreamParser(maxEvent, (event) => subscriber.next(event));
      const splitter = new LineSplitter('sse()', 'any', maxLine, (line) => {
        if (!subscriber.closed) parser.line(line);
      });
      // §9.2.6: at the end of the stream, pending data is discarded, an unended line too.
      return feedLines(source, subscriber, splitter, () => undefined);
    });
}

/** The per-stream state of WHATWG HTML §9.2.6, fed one line at a time. */
class EventStreamParser {
  /** The data buffer, as its lines: the spec appends each value and an LF, then drops the last LF. */
  private data: string[] = [];
  /** The length the data buffer would have, LFs between lines included. */
  private dataSize = 0;
  /** The event type buffer. */
  private type = '';
  /** The last event ID buffer: set by `id`, kept across events. */
  private lastEventId = '';
  /** The reconnection time, once a valid `retry` set it. */
  private retry: number | undefined;

  constructor(
    private readonly maxEventSize: number,
    private readonly dispatch: (event: ServerSentEvent) => void,
  ) {}

  line(line: string): void {
    if (line.length === 0) return this.blank();
    const colon = line.indexOf(':');
    // A line starting with a colon is a comment.
    if (colon === 0) return;
    if (colon === -1) return this.field(line, '');
    // "If value starts with a U+0020 SPACE character, remove it from value."
    const from = line.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1;
    this.field(line.slice(0, colon), line.slice(from));
  }

  private field(name: string, value: string): void {
    switch (name) {
      case 'event':
        this.type = value;
        break;
      case 'data':
        this.dataSize += value.length + (this.data.length > 0 ? 1 : 0);
        if (this.dataSize > this.maxEventSize) {
          throw new InvalidResponse(`sse(): an event's data is larger than maxEventSize (${this.maxEventSize})`);
        }
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        // "If the field value consists of only ASCII digits": at least one, or nothing is set.
        if (/^[0-9]+$/.test(value)) this.retry = Number(value);
        break;
      // Any other field is ignored.
    }
  }

  /** A blank line: dispatch the event, §9.2.6 "dispatch the event". */
  private blank(): void {
    const lines = this.data;
    const type = this.type;
    this.data = [];
    this.dataSize = 0;
    this.type = '';
    // An empty data buffer: nothing is dispatched (the last event ID is still set, and kept here).
    if (lines.length === 0) return;
    const event: { event: string; data: string; id?: string; retry?: number } = {
      event: type === '' ? 'message' : type,
      data: lines.length === 1 ? lines[0] : lines.join('\n'),
    };
    if (this.lastEventId !== '') event.id = this.lastEventId;
    if (this.retry !== undefined) event.retry = this.retry;
    this.dispatch(event);
  }
}

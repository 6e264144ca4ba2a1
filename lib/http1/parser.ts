import { InvalidResponse, UnsupportedResponse } from '../errors';
import { DataChunk, ReadControl } from '../flow';
import { HttpHeaders } from '../headers';
import { ChunkFraming } from './chunked';
import { bodyFraming } from './framing';
import { DEFAULT_LIMITS, RESPONSE_END, type ParserHandler, type ParserLimits } from './parsed';
import { checkStatusLine } from './statusLine';
import { CR, HT, LF, SP, TCHAR, checkText, preview } from './syntax';

export { DEFAULT_LIMITS, RESPONSE_END } from './parsed';
export type { ParsedEvent, ParserHandler, ParserLimits, ResponseEnd } from './parsed';

/** Informational responses allowed before one final response; real servers send one or two. */
const MAX_INTERIM = 32;

// Parser states. Lines (status, fields, trailers) go through readLine(); the
// chunked framing between chunk data goes through ChunkFraming, byte by byte.
const STATUS_LINE = 0;
const FIELD_LINE = 1;
const TRAILER_LINE = 2;
const BODY_LENGTH = 3;
const BODY_UNTIL_CLOSE = 4;
const CHUNK_FRAMING = 5;
const CHUNK_DATA = 6;
const FAILED = 7;

/**
 * An incremental HTTP/1.1 response parser: feed it socket reads of any size
 * (one byte is fine) and it emits each response's events in order. It never
 * re-reads or concatenates bytes it has seen: a line that spans reads is
 * copied once into a scratch buffer bounded by `maxHeaderSize`; body bytes
 * are handed on as views of the input, not copied.
 *
 * No I/O and no RxJS: `parseResponses()` in `connection/` wraps it for a byte stream.
 *
 * @example
 * const parser = new ResponseParser({ headRequest: () => false, onEvent: (e) => console.log(e.type) });
 * parser.execute(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')); // head, end
 */
export class ResponseParser {
  private readonly handler: ParserHandler;
  private readonly limits: ParserLimits;

  private state = STATUS_LINE;
  /** Set by stop(): execute() returns at once, leaving the rest of its input unread. */
  private stopped = false;
  /** Paused by a consumer through a data event: execute() returns early, as after stop(), until resumed. */
  readonly flow: ReadControl;

  /** Holds the start of a line that spans reads; grown on demand, never past maxHeaderSize. */
  private line: Buffer = Buffer.allocUnsafe(0);
  private lineLength = 0;
  /** Bytes of the current head or trailer section so far, for maxHeaderSize. */
  private sectionSize = 0;
  /** A 1xx response has been read and the final response it precedes has not begun. */
  private interim = false;
  /** 1xx responses read since the last final response. */
  private interims = 0;
  /** Bytes of empty lines since the last message: they belong to none, but are bounded. */
  private preface = 0;

  // The response being parsed.
  private status = 0;
  private reason = '';
  private version: '1.0' | '1.1' = '1.1';
  /** Field lines of the head or trailer section: [name, value, name, value, ...]. */
  private fields: string[] = [];
  /** Body bytes left in a Content-Length body or in the current chunk. */
  private remaining = 0;
  /** Body bytes so far, for maxResponseSize. */
  private bodySize = 0;
  /** The size lines and CRLFs around chunk data. */
  private readonly chunks: ChunkFraming;

  constructor(handler: ParserHandler, limits: ParserLimits = DEFAULT_LIMITS, flow: ReadControl = new ReadControl()) {
    this.handler = handler;
    this.limits = limits;
    this.flow = flow;
    this.chunks = new ChunkFraming(limits.maxHeaderSize);
  }

  /**
   * Parses `input` and returns how many of its bytes were consumed: all of
   * them unless stop() was called, or `flow` paused, from an event. Throws InvalidResponse or
   * UnsupportedResponse; the parser is unusable after that.
   */
  execute(input: Uint8Array): number {
    if (this.state === FAILED) throw new InvalidResponse('the parser has failed already');
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const end = buf.length;
    let pos = 0;
    try {
      while (pos < end && !this.stopped && !this.flow.paused) {
        switch (this.state) {
          case STATUS_LINE:
          case FIELD_LINE:
          case TRAILER_LINE:
            pos = this.readLine(buf, pos, end);
            break;
          case BODY_LENGTH:
          case CHUNK_DATA: {
            const n = Math.min(this.remaining, end - pos);
            this.remaining -= n;
            this.handler.onEvent(new DataChunk(buf.subarray(pos, pos + n), this.flow));
            pos += n;
            if (this.remaining === 0) {
              if (this.state === BODY_LENGTH) this.endMessage();
              else {
                this.state = CHUNK_FRAMING;
                this.chunks.expectDataEnd();
              }
            }
            break;
          }
          case BODY_UNTIL_CLOSE:
            this.countBody(end - pos);
            this.handler.onEvent(new DataChunk(buf.subarray(pos, end), this.flow));
            pos = end;
            break;
          default: {
            const size = this.chunks.feed(buf[pos++]);
            if (size >= 0) this.endChunkSize(size);
          }
        }
      }
    } catch (err) {
      this.state = FAILED;
      throw err;
    }
    return pos;
  }

  /**
   * The input ended (the peer closed). Returns whether that was a clean end:
   * between responses, or the end of a body delimited by the close
   * (RFC 9112 §6.3 ¶8). Otherwise the response in progress is truncated.
   */
  finish(): boolean {
    if (this.state === BODY_UNTIL_CLOSE) {
      this.endMessage();
      return true;
    }
    return !this.inMessage;
  }

  /** Makes execute() return before its next step; for a consumer that has gone away. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Body bytes of the current response still to come: the rest of a
   * Content-Length body, Infinity for a chunked or read-until-close one,
   * -1 while its head is not complete.
   */
  get rest(): number {
    if (this.state === BODY_LENGTH) return this.remaining;
    return this.state === STATUS_LINE || this.state === FIELD_LINE ? -1 : Infinity;
  }

  /** Where the response in progress was cut, in words, for an input that ended in it. */
  cutAt(): string {
    switch (this.state) {
      case BODY_LENGTH:
        return `after ${this.bodySize - this.remaining} of ${this.bodySize} body bytes`;
      case CHUNK_DATA:
      case CHUNK_FRAMING:
        return `after ${this.bodySize - this.remaining} body bytes, in the middle of a chunked body`;
      case TRAILER_LINE:
        return 'after the last chunk, in the trailer section';
      default:
        return this.interim && this.lineLength === 0
          ? 'after an informational response, before the final one'
          : 'before the response head was complete';
    }
  }

  /** Whether a response has begun and not ended: its bytes are partly read. */
  get inMessage(): boolean {
    return !(this.state === STATUS_LINE && this.lineLength === 0 && this.sectionSize === 0 && !this.interim);
  }

  // --- Lines ---------------------------------------------------------------

  private readLine(buf: Buffer, pos: number, end: number): number {
    const lf = buf.indexOf(LF, pos);
    const stop = lf === -1 ? end : lf + 1;
    // Checked before copying anything, so a server that never ends its head
    // costs at most maxHeaderSize bytes of memory.
    this.sectionSize += stop - pos;
    if (this.sectionSize > this.limits.maxHeaderSize) {
      const what = this.state === TRAILER_LINE ? 'trailer section' : 'response head';
      throw new InvalidResponse(`the ${what} is larger than maxHeaderSize (${this.limits.maxHeaderSize} bytes)`);
    }
    if (lf === -1) {
      this.appendLine(buf, pos, end);
      return end;
    }
    if (this.lineLength === 0) {
      this.onLine(buf, pos, lf);
    } else {
      this.appendLine(buf, pos, lf);
      const length = this.lineLength;
      this.lineLength = 0;
      this.onLine(this.line, 0, length);
    }
    return stop;
  }

  private appendLine(buf: Buffer, start: number, end: number): void {
    const needed = this.lineLength + (end - start);
    if (needed > this.line.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(needed, this.line.length * 2, 256), this.limits.maxHeaderSize));
      this.line.copy(grown, 0, 0, this.lineLength);
      this.line = grown;
    }
    buf.copy(this.line, this.lineLength, start, end);
    this.lineLength = needed;
  }

  /** One line without its LF; a CR before the LF is dropped, a single LF may end a line (RFC 9112 §2.2). */
  private onLine(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--;
    if (this.state === STATUS_LINE) {
      // RFC 9112 §2.2: empty lines before a message may be ignored; some
      // servers send a stray CRLF after a body. Endless ones end in a limit.
      if (end > start) {
        this.preface = 0;
        this.parseStatusLine(buf, start, end);
      } else {
        this.preface += this.sectionSize;
        this.sectionSize = 0;
        if (this.preface > this.limits.maxHeaderSize) {
          throw new InvalidResponse(`more than maxHeaderSize (${this.limits.maxHeaderSize} bytes) of empty lines before a status line`);
        }
      }
    } else if (end === start) {
      if (this.state === FIELD_LINE) this.endHead();
      else this.endTrailers();
    } else if (buf[start] === SP || buf[start] === HT) {
      this.unfold(buf, start, end);
    } else {
      this.parseField(buf, start, end);
    }
  }

  /** status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). */
  private parseStatusLine(buf: Buffer, start: number, end: number): void {
    const length = end - start;
    checkStatusLine(buf, start, end);
    // RFC 9110 §2.5: a higher minor version is read as the highest we speak.
    this.version = buf[start + 7] === 0x30 ? '1.0' : '1.1';
    this.status = (buf[start + 9] - 0x30) * 100 + (buf[start + 10] - 0x30) * 10 + (buf[start + 11] - 0x30);
    if (this.status < 100) throw new InvalidResponse(`invalid status code ${this.status}`);
    checkText(buf, start + 13, end, 'reason phrase');
    this.reason = length > 13 ? buf.toString('latin1', start + 13, end) : '';
    this.state = FIELD_LINE;
  }

  /** field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). */
  private parseField(buf: Buffer, start: number, end: number): void {
    let colon = start;
    while (colon < end && TCHAR[buf[colon]] === 1) colon++;
    if (colon === end || buf[colon] !== 0x3a) {
      // RFC 9112 §5.1: no whitespace is allowed between a name and the colon.
      const why =
        colon === end
          ? 'without a colon'
          : buf[colon] === SP || buf[colon] === HT
            ? 'with whitespace before the colon'
            : 'with an invalid character in its name';
      throw new InvalidResponse(`header line ${why}: ${preview(buf, start, end)}`);
    }
    if (colon === start) throw new InvalidResponse(`header line with an empty name: ${preview(buf, start, end)}`);
    this.fields.push(buf.toString('latin1', start, colon), this.fieldValue(buf, colon + 1, end));
  }

  /** RFC 9112 §5.2: an obs-fold continues the previous value; it is replaced by one SP. */
  private unfold(buf: Buffer, start: number, end: number): void {
    if (this.fields.length === 0) {
      // RFC 9112 §2.2: whitespace before the first field line cannot be trusted.
      throw new InvalidResponse(`whitespace before the first header line: ${preview(buf, start, end)}`);
    }
    const value = this.fieldValue(buf, start, end);
    const last = this.fields.length - 1;
    this.fields[last] = value === '' ? this.fields[last] : this.fields[last] === '' ? value : `${this.fields[last]} ${value}`;
  }

  private fieldValue(buf: Buffer, start: number, end: number): string {
    while (start < end && (buf[start] === SP || buf[start] === HT)) start++;
    while (end > start && (buf[end - 1] === SP || buf[end - 1] === HT)) end--;
    checkText(buf, start, end, 'header value');
    return buf.toString('latin1', start, end);
  }

  // --- Message boundaries ----------------------------------------------------

  private endHead(): void {
    const headers = new HttpHeaders(this.fields);
    if (this.status < 200) {
      // RFC 9110 §15.2.2: 101 only answers an Upgrade request, which httpio never sends.
      if (this.status === 101) throw new UnsupportedResponse('unrequested 101 Switching Protocols');
      const event = { type: 'informational' as const, status: this.status, reason: this.reason, headers };
      // A server sending 103 after 103 forever must end in a limit: each
      // head has maxHeaderSize, and a request at most MAX_INTERIM of them.
      const interims = this.interims + 1;
      if (interims > MAX_INTERIM) throw new InvalidResponse(`more than ${MAX_INTERIM} informational (1xx) responses before the final one`);
      this.resetMessage();
      this.interims = interims;
      // The exchange is not over: a close now truncates the response.
      this.interim = true;
      this.handler.onEvent(event);
      return;
    }
    // RFC 9112 §6.3 ¶1: HEAD, 204 and 304 responses end with their head.
    const noBody = this.handler.headRequest() || this.status === 204 || this.status === 304;
    const { length, chunked } = bodyFraming(this.fields, noBody);
    if (!noBody && !chunked && length > this.limits.maxResponseSize) {
      throw new InvalidResponse(`Content-Length ${length} is larger than maxResponseSize (${this.limits.maxResponseSize})`);
    }
    const event = { type: 'head' as const, status: this.status, reason: this.reason, version: this.version, headers };
    this.fields = [];
    this.sectionSize = 0;
    // The framing is set before the head is handed on, so that whoever sees
    // the head (a consumer leaving at once, say) can ask how much is left.
    const empty = noBody || length === 0;
    if (empty) {
      this.remaining = this.bodySize = 0;
      this.state = BODY_LENGTH;
    } else if (chunked) {
      this.startChunk();
    } else if (length > 0) {
      this.remaining = this.bodySize = length;
      this.state = BODY_LENGTH;
    } else {
      this.state = BODY_UNTIL_CLOSE;
    }
    this.handler.onEvent(event);
    if (empty) this.endMessage();
  }

  private endTrailers(): void {
    const fields = this.fields;
    this.resetMessage();
    if (fields.length > 0) this.handler.onEvent({ type: 'trailers', headers: new HttpHeaders(fields) });
    this.handler.onEvent(RESPONSE_END);
  }

  private endMessage(): void {
    this.resetMessage();
    this.handler.onEvent(RESPONSE_END);
  }

  private resetMessage(): void {
    this.state = STATUS_LINE;
    this.interim = false;
    this.interims = 0;
    this.fields = [];
    this.sectionSize = 0;
    this.bodySize = 0;
    this.remaining = 0;
  }

  private countBody(n: number): void {
    this.bodySize += n;
    if (this.bodySize > this.limits.maxResponseSize) {
      throw new InvalidResponse(`the response body is larger than maxResponseSize (${this.limits.maxResponseSize})`);
    }
  }

  // --- Chunked framing (RFC 9112 §7.1) -----------------------------------------

  private startChunk(): void {
    this.state = CHUNK_FRAMING;
    this.chunks.reset();
  }

  private endChunkSize(size: number): void {
    if (size === 0) {
      this.state = TRAILER_LINE;
      this.sectionSize = 0;
      return;
    }
    this.countBody(size);
    this.remaining = size;
    this.state = CHUNK_DATA;
  }
}

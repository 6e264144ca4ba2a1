import type { ResponseEvent } from '../events';

// What the response parser emits and what it is given: its events, its
// limits, and the one question it must ask of its caller.

/** Marks the exact end of one response; the parser then expects the next. */
export interface ResponseEnd {
  readonly type: 'end';
}

/** What the parser emits: the public events plus the end of each response. */
export type ParsedEvent = ResponseEvent | ResponseEnd;

export const RESPONSE_END: ResponseEnd = Object.freeze({ type: 'end' });

export interface ParserLimits {
  /** Bytes allowed for a whole head (status line, fields, blank line), and for a trailer section. */
  readonly maxHeaderSize: number;
  /** Body bytes allowed per response; `Infinity` for no limit. */
  readonly maxResponseSize: number;
}

export const DEFAULT_LIMITS: ParserLimits = { maxHeaderSize: 64 * 1024, maxResponseSize: Infinity };

export interface ParserHandler {
  /**
   * Asked once per final response, when its head is complete: did the request
   * it answers use HEAD? Such a response has no body whatever its fields say
   * (RFC 9110 §9.3.2); the parser cannot know it from the bytes.
   */
  headRequest(): boolean;
  onEvent(event: ParsedEvent): void;
}

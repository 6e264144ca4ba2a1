import { InvalidResponse, UnsupportedResponse } from '../errors';
import { SP, isDigit, preview } from './syntax';

/**
 * Checks the shape of a status line, `HTTP/1.x SP 3DIGIT [ SP reason ]`
 * (RFC 9112 §4), byte by byte, without making a string of it. Throws
 * InvalidResponse for a malformed one and UnsupportedResponse for a major
 * version other than 1.
 *
 * @example
 * checkStatusLine(Buffer.from('HTTP/1.1 200 OK'), 0, 15); // passes
 */
export function checkStatusLine(buf: Buffer, start: number, end: number): void {
  const length = end - start;
  if (
    length < 12 ||
    buf[start] !== 0x48 ||
    buf[start + 1] !== 0x54 ||
    buf[start + 2] !== 0x54 ||
    buf[start + 3] !== 0x50 ||
    buf[start + 4] !== 0x2f ||
    buf[start + 6] !== 0x2e ||
    buf[start + 8] !== SP ||
    !isDigit(buf[start + 5]) ||
    !isDigit(buf[start + 7]) ||
    !isDigit(buf[start + 9]) ||
    !isDigit(buf[start + 10]) ||
    !isDigit(buf[start + 11]) ||
    (length > 12 && buf[start + 12] !== SP)
  ) {
    throw new InvalidResponse(`malformed status line: ${preview(buf, start, end)}`);
  }
  if (buf[start + 5] !== 0x31) {
    throw new UnsupportedResponse(`HTTP/${preview(buf, start + 5, start + 8)} responses are not supported`);
  }
}

import { InvalidResponse } from '../errors';

// The byte-level grammar of RFC 9110 and 9112 shared by the parser and the
// serializer: lookup tables, so that checking a byte is one array read.

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;

/** tchar, RFC 9110 §5.6.2: what a field name may hold. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let b = 0x30; b <= 0x39; b++) TCHAR[b] = 1;
for (let b = 0x41; b <= 0x5a; b++) TCHAR[b] = TCHAR[b + 32] = 1;

/** Bytes allowed in a field value or reason phrase: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5). */
export const TEXT = new Uint8Array(256);
TEXT[HT] = 1;
for (let b = 0x20; b <= 0xff; b++) TEXT[b] = b === 0x7f ? 0 : 1;

/** Hex digit values; 255 marks a byte that is not one. */
export const HEX = new Uint8Array(256).fill(255);
for (let d = 0; d < 10; d++) HEX[0x30 + d] = d;
for (let d = 0; d < 6; d++) HEX[0x41 + d] = HEX[0x61 + d] = 10 + d;

/** Past this a chunk size or Content-Length cannot be counted exactly in a double. */
export const MAX_LENGTH = Number.MAX_SAFE_INTEGER;

export function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/** Rejects NUL, bare CR and the other controls RFC 9110 §5.5 excludes from field values. */
export function checkText(buf: Buffer, start: number, end: number, what: string): void {
  for (let i = start; i < end; i++) {
    if (TEXT[buf[i]] !== 1) {
      const name = buf[i] === 0 ? 'NUL' : buf[i] === CR ? 'bare CR' : `control byte 0x${buf[i].toString(16)}`;
      throw new InvalidResponse(`${name} in a ${what}: ${preview(buf, start, end)}`);
    }
  }
}

/**
 * RFC 9110 §8.6: 1*DIGIT. A list of identical values (or repeated fields
 * with one value) is accepted; differing values are not.
 */
export function parseContentLength(value: string, previous: number): number {
  // The common case, plain digits, without splitting or a regular expression.
  let digits = 0;
  while (digits < value.length && value.charCodeAt(digits) >= 0x30 && value.charCodeAt(digits) <= 0x39) digits++;
  if (digits === value.length && digits > 0 && digits < 16) {
    const n = Number(value);
    if (previous !== -1 && n !== previous) throw new InvalidResponse(`differing Content-Length values: ${previous} and ${n}`);
    return n;
  }
  let length = previous;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^[0-9]+$/.test(text)) throw new InvalidResponse(`invalid Content-Length: ${JSON.stringify(value)}`);
    const n = Number(text);
    if (n > MAX_LENGTH) throw new InvalidResponse(`Content-Length is too large: ${text}`);
    if (length !== -1 && n !== length) throw new InvalidResponse(`differing Content-Length values: ${length} and ${n}`);
    length = n;
  }
  return length;
}

/** A short, printable excerpt of the offending bytes for an error message. */
export function preview(buf: Buffer, start: number, end: number): string {
  const text = buf.toString('latin1', start, Math.min(end, start + 80));
  return JSON.stringify(text) + (end - start > 80 ? '…' : '');
}

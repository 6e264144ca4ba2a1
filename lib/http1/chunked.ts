import { InvalidResponse } from '../errors';
import { CR, HEX, HT, LF, MAX_LENGTH, SP, TEXT } from './syntax';

/** Hex digits allowed in a chunk size, leading zeros included: 16 already exceed any length we accept. */
const MAX_DIGITS = 32;

// States of the framing between chunk data (RFC 9112 §7.1).
const SIZE = 0;
const SIZE_WS = 1;
const EXTENSION = 2;
const SIZE_LF = 3;
const DATA_CR = 4;
const DATA_LF = 5;

/**
 * The framing lines of a chunked body, read a byte at a time: the size line
 * before each chunk, `chunk-size [ chunk-ext ] CRLF`, and the CRLF after
 * its data. They are a few bytes long, so a byte loop costs less than
 * finding line ends; extensions are checked and skipped, never stored.
 */
export class ChunkFraming {
  private state = SIZE;
  /** The size read so far. */
  private size = 0;
  /** Hex digits of the size so far. */
  private digits = 0;
  /** Bytes of whitespace and extensions on this size line, bounded by `maxExtension`. */
  private extensionSize = 0;

  constructor(private readonly maxExtension: number) {}

  /** Starts a size line. */
  reset(): void {
    this.state = SIZE;
    this.size = 0;
    this.digits = 0;
    this.extensionSize = 0;
  }

  /** After a chunk's data: expects its CRLF, then a size line. */
  expectDataEnd(): void {
    this.state = DATA_CR;
  }

  /**
   * Takes one byte. Returns the chunk size when a size line is complete
   * (0 for the last chunk), -1 otherwise. Throws InvalidResponse.
   */
  feed(byte: number): number {
    switch (this.state) {
      case SIZE: {
        const digit = HEX[byte];
        if (digit !== 255) {
          if (this.size > (MAX_LENGTH - digit) / 16) throw new InvalidResponse('chunk size is too large');
          this.size = this.size * 16 + digit;
          // Leading zeros do not grow the size, so they need a bound of their own.
          if (++this.digits > MAX_DIGITS) throw new InvalidResponse(`chunk size line has more than ${MAX_DIGITS} digits`);
        } else if (this.digits === 0) {
          throw badSize(byte);
        } else if (byte === CR) {
          this.state = SIZE_LF;
        } else if (byte === LF) {
          return this.size;
        } else if (byte === 0x3b) {
          // chunk-ext (RFC 9112 §7.1.1): read and ignored.
          this.state = EXTENSION;
        } else if (byte === SP || byte === HT) {
          this.state = SIZE_WS;
        } else {
          throw badSize(byte);
        }
        return -1;
      }
      case SIZE_WS:
        // RFC 9112 §7.1.1: BWS may come before a ';'. Anything else after the
        // size ("5 6") is a bad size line, not an extension to ignore.
        if (byte === 0x3b) this.state = EXTENSION;
        else if (byte === CR) this.state = SIZE_LF;
        else if (byte === LF) return this.size;
        else if (byte !== SP && byte !== HT) throw badSize(byte);
        else this.countExtension();
        return -1;
      case EXTENSION:
        if (byte === CR) this.state = SIZE_LF;
        else if (byte === LF) return this.size;
        else if (TEXT[byte] !== 1) throw new InvalidResponse(`invalid byte 0x${byte.toString(16)} in a chunk extension`);
        else this.countExtension();
        return -1;
      case SIZE_LF:
        if (byte !== LF) throw new InvalidResponse('bare CR in a chunk size line');
        return this.size;
      case DATA_CR:
        // A single LF may end the line (RFC 9112 §2.2).
        if (byte === CR) this.state = DATA_LF;
        else if (byte === LF) this.reset();
        else throw new InvalidResponse('missing CRLF after chunk data');
        return -1;
      default:
        if (byte !== LF) throw new InvalidResponse('missing CRLF after chunk data');
        this.reset();
        return -1;
    }
  }

  private countExtension(): void {
    if (++this.extensionSize > this.maxExtension) {
      throw new InvalidResponse(`chunk extensions are larger than maxHeaderSize (${this.maxExtension} bytes)`);
    }
  }
}

function badSize(byte: number): InvalidResponse {
  return new InvalidResponse(`invalid chunk size: unexpected byte 0x${byte.toString(16)}`);
}

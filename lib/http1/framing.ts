import { InvalidResponse, UnsupportedResponse } from '../errors';
import { parseContentLength } from './syntax';

/**
 * RFC 9112 §6.3: how a response body is delimited, from its head's fields
 * (`[name, value, name, value, ...]`): `length` bytes, chunked, or (length
 * -1, not chunked) until the connection closes. `noBody` is a response that
 * has none whatever its fields say (HEAD, 204, 304).
 *
 * @example
 * bodyFraming(['Content-Length', '5'], false); // { length: 5, chunked: false }
 */
export function bodyFraming(fields: readonly string[], noBody: boolean): { length: number; chunked: boolean } {
  let length = -1;
  let codings: string | null = null;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      length = parseContentLength(fields[i + 1], length);
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      codings = codings === null ? fields[i + 1] : `${codings}, ${fields[i + 1]}`;
    }
  }
  if (codings === null) return { length, chunked: false };
  // RFC 9112 §6.3 ¶3: both at once is how responses are smuggled.
  if (length !== -1) throw new InvalidResponse('response has both Content-Length and Transfer-Encoding');
  if (codings.trim().toLowerCase() !== 'chunked') {
    // A HEAD or 304 response describes the coding a GET would get; it is not applied here.
    if (noBody) return { length: 0, chunked: false };
    throw new UnsupportedResponse(`unsupported Transfer-Encoding: ${codings}`);
  }
  return { length: -1, chunked: true };
}

import { createHash } from 'node:crypto';

/** The longest name fileNameFor() makes before a hash is added: well under the 255 bytes most file systems allow. */
export const MAX_NAME = 120;

/**
 * The file name, inside `-o DIR`, for one URL: the host (and port), the path
 * and the query, every character outside `A-Z a-z 0-9 . _ -` (the `/`
 * included) replaced by `_`, every run of two or more dots by `_`, and a
 * leading dot or dash by `_`. So a name is never `.` or `..`, never holds a
 * `/`, `\` or NUL, never starts with `-` (an option to the next tool) or `.`
 * (hidden), and always names a file directly inside DIR however hostile the
 * URL. A name longer than {@link MAX_NAME} is cut and gets `-` and 10 hex
 * digits of the SHA-256 of the URL, so that distinct long URLs stay distinct.
 * The rule does not depend on other URLs; {@link NameAllocator} makes names
 * unique within a run.
 *
 * @example
 * fileNameFor(new URL('http://127.0.0.1:8080/items/1?x=2')); // '127.0.0.1_8080_items_1_x_2'
 * fileNameFor(new URL('http://h/%2e%2e%2f%2e%2e%2fetc/passwd')); // 'h_25_25_2f_25...' — never '..'
 */
export function fileNameFor(url: URL): string {
  const port = url.port === '' ? '' : `_${url.port}`;
  let name = `${url.hostname}${port}${url.pathname}${url.search}`
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/\.{2,}/g, '_')
    .replace(/^[.-]/, '_')
    .replace(/_+$/, ''); // a path ending in '/' should not leave a dangling '_'
  if (name === '') name = '_'; // unreachable for a URL with a host; kept so the result is never empty
  if (name.length > MAX_NAME) name = `${name.slice(0, MAX_NAME)}-${hash(url.href)}`;
  return name;
}

/** 10 hex digits (40 bits) of SHA-256: a collision among a few million URLs is unlikely. */
function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/**
 * Unique names for one run: the first URL that maps to a name gets it; a
 * later URL that maps to the same name (compared without case, for the
 * file systems of macOS and Windows) gets `-` and the hash of its URL
 * appended, and if that is taken too (the same URL given twice), `-2`,
 * `-3`… after it.
 *
 * @example
 * const names = new NameAllocator();
 * names.allocate(new URL('http://h/a/b')); // 'h_a_b'
 * names.allocate(new URL('http://h/a_b')); // 'h_a_b-' + 10 hex digits
 */
export class NameAllocator {
  /** Names handed out so far, lower-cased. */
  readonly #taken = new Set<string>();

  /** A name no earlier call of this allocator returned. */
  allocate(url: URL): string {
    const base = fileNameFor(url);
    let name = base;
    if (this.#taken.has(name.toLowerCase())) name = `${base}-${hash(url.href)}`;
    for (let n = 2; this.#taken.has(name.toLowerCase()); n++) name = `${base}-${hash(url.href)}-${n}`;
    this.#taken.add(name.toLowerCase());
    return name;
  }
}

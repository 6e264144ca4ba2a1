import { InvalidResponse } from '../lib/errors';
import { HttpHeaders, hasToken } from '../lib/headers';
import { END, head, parseEach, type Fields } from './support/parse';

const OK = 'HTTP/1.1 200 OK\r\n';

/** The header fields of one response whose head ends with `fieldLines` (CRLF-terminated lines). */
function parsedFields(fieldLines: string): Fields {
  const r = parseEach(`${OK}${fieldLines}Content-Length: 0\r\n\r\n`);
  expect(r.error).withContext('parse error').toBeUndefined();
  expect(r.events.length).withContext('events').toBe(2);
  const first = r.events[0];
  if (first.type !== 'head') throw new Error(`expected a head, got ${first.type}`);
  expect(first.headers.pop()).toEqual(['Content-Length', '0']);
  return first.headers;
}

describe('HttpHeaders', () => {
  const headers = new HttpHeaders([
    'Content-Type',
    'text/plain',
    'Set-Cookie',
    'a=1',
    'X-Empty',
    '',
    'set-cookie',
    'b=2',
    'SET-COOKIE',
    'c=3',
  ]);

  it('finds a field whatever the case of the name asked for', () => {
    expect(headers.get('content-type')).toBe('text/plain');
    expect(headers.get('CONTENT-TYPE')).toBe('text/plain');
    expect(headers.get('Content-Type')).toBe('text/plain');
  });

  it('returns null from get() for an absent field, and "" for an empty one', () => {
    expect(headers.get('content-length')).toBeNull();
    expect(headers.get('X-Empty')).toBe('');
  });

  it('joins the values of duplicate fields with ", " in wire order', () => {
    expect(headers.get('set-cookie')).toBe('a=1, b=2, c=3');
  });

  it('returns every value from getAll(), one per field line, in wire order', () => {
    expect(headers.getAll('Set-Cookie')).toEqual(['a=1', 'b=2', 'c=3']);
    expect(headers.getAll('x-empty')).toEqual(['']);
    expect(headers.getAll('absent')).toEqual([]);
  });

  it('does not match a name that is a prefix or an extension of another', () => {
    expect(headers.get('Content')).toBeNull();
    expect(headers.get('Content-Type2')).toBeNull();
    expect(headers.has('set-cookies')).toBe(false);
  });

  it('answers has() case-insensitively, true for an empty value', () => {
    expect(headers.has('SET-cookie')).toBe(true);
    expect(headers.has('x-empty')).toBe(true);
    expect(headers.has('x-other')).toBe(false);
  });

  it('iterates over [name, value] in wire order with the names as sent', () => {
    const expected: Fields = [
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', 'a=1'],
      ['X-Empty', ''],
      ['set-cookie', 'b=2'],
      ['SET-COOKIE', 'c=3'],
    ];
    expect([...headers]).toEqual(expected);
    expect([...headers.entries()]).toEqual(expected);
    expect(headers.size).toBe(5);
  });

  it('gives toJSON() lower-cased names with duplicates joined, and JSON.stringify uses it', () => {
    const json = { 'content-type': 'text/plain', 'set-cookie': 'a=1, b=2, c=3', 'x-empty': '' };
    expect(headers.toJSON()).toEqual(json);
    expect(JSON.parse(JSON.stringify(headers))).toEqual(json);
    expect(Object.keys(headers.toJSON())).toEqual(['content-type', 'set-cookie', 'x-empty']);
  });

  it('is empty when built with no fields', () => {
    const empty = new HttpHeaders();
    expect(empty.size).toBe(0);
    expect(empty.get('a')).toBeNull();
    expect(empty.has('a')).toBe(false);
    expect([...empty]).toEqual([]);
    expect(empty.toJSON()).toEqual({});
  });
});

describe('hasToken()', () => {
  it('finds a token in a comma-separated list, case-insensitively and around whitespace', () => {
    expect(hasToken('keep-alive, Close', 'close')).toBe(true);
    expect(hasToken(' CLOSE ', 'close')).toBe(true);
    expect(hasToken('upgrade,close', 'close')).toBe(true);
  });

  it('does not find a token that is only part of a list member, or in null', () => {
    expect(hasToken('closed, keep-alive', 'close')).toBe(false);
    expect(hasToken('x-close', 'close')).toBe(false);
    expect(hasToken(null, 'close')).toBe(false);
    expect(hasToken('', 'close')).toBe(false);
  });
});

describe('header fields on the wire', () => {
  it('keeps each name with the case it was sent in', () => {
    expect(parsedFields('content-TYPE: a\r\nX-MiXeD: b\r\n')).toEqual([
      ['content-TYPE', 'a'],
      ['X-MiXeD', 'b'],
    ]);
  });

  it('keeps duplicate fields as separate lines in wire order, and get() joins them', () => {
    const r = parseEach(`${OK}Via: a\r\nX: 1\r\nvia: b\r\nVIA: c\r\nContent-Length: 0\r\n\r\n`);
    const first = r.raw[0];
    if (first.type !== 'head') throw new Error('expected a head');
    expect([...first.headers].map(([name]) => name)).toEqual(['Via', 'X', 'via', 'VIA', 'Content-Length']);
    expect(first.headers.getAll('via')).toEqual(['a', 'b', 'c']);
    expect(first.headers.get('Via')).toBe('a, b, c');
  });

  it('accepts every tchar in a field name', () => {
    const name = "!#$%&'*+-.^_`|~09azAZ";
    expect(parsedFields(`${name}: v\r\n`)).toEqual([[name, 'v']]);
  });

  it('trims optional whitespace (SP and HTAB) around a value and keeps it inside', () => {
    expect(parsedFields('A:  \t x \t y \t \r\nB:z\r\nC:\t\r\n')).toEqual([
      ['A', 'x \t y'],
      ['B', 'z'],
      ['C', ''],
    ]);
  });

  it('keeps a colon inside a value', () => {
    expect(parsedFields('Location: http://example.com:8080/a:b\r\n')).toEqual([['Location', 'http://example.com:8080/a:b']]);
  });

  it('replaces an obs-fold by one space, whether it starts with SP or HTAB', () => {
    expect(parsedFields('X-Folded: first\r\n   second  \r\n\tthird\r\nNext: n\r\n')).toEqual([
      ['X-Folded', 'first second third'],
      ['Next', 'n'],
    ]);
  });

  it('adds nothing for an obs-fold line of only whitespace, and folds onto an empty value without a space', () => {
    expect(parsedFields('A: a\r\n \t \r\nB:\r\n b\r\n')).toEqual([
      ['A', 'a'],
      ['B', 'b'],
    ]);
  });

  it('replaces an obs-fold in a trailer section by one space', () => {
    const r = parseEach(`${OK}Transfer-Encoding: chunked\r\n\r\n0\r\nT: one\r\n two\r\n\r\n`);
    expect(r.events.slice(1)).toEqual([{ type: 'trailers', headers: [['T', 'one two']] }, END]);
  });

  it('decodes obs-text (0x80-0xFF) in a value as latin1', () => {
    let value = '';
    for (let b = 0x80; b <= 0xff; b++) value += String.fromCharCode(b);
    expect(parsedFields(`X-Latin1: caf\xe9 ${value}\r\n`)).toEqual([['X-Latin1', `caf\u00e9 ${value}`]]);
  });

  it('accepts a single LF ending the status line, each field line and the head', () => {
    const r = parseEach('HTTP/1.1 200 OK\nA: 1\r\nB: 2\nContent-Length: 2\n\nok');
    expect(r.events).toEqual([
      head(200, 'OK', [
        ['A', '1'],
        ['B', '2'],
        ['Content-Length', '2'],
      ]),
      { type: 'data', data: 'ok' },
      END,
    ]);
  });

  const invalid: [string, string][] = [
    ['a line of whitespace (SP) before the first header line', ' X: a\r\nY: b\r\n'],
    ['a line of whitespace (HTAB) before the first header line', '\tX: a\r\n'],
    ['a line without a colon', 'X-No-Colon\r\n'],
    ['a line that is only a name and whitespace', 'X-Name \r\n'],
    ['a space between the name and the colon', 'X-Name : value\r\n'],
    ['a tab between the name and the colon', 'X-Name\t: value\r\n'],
    ['an empty name', ': value\r\n'],
    ['a space inside the name', 'X Name: value\r\n'],
    ['"@" in the name', 'X@Name: value\r\n'],
    ['"(" in the name', 'X(Name): value\r\n'],
    ['a double quote in the name', 'X"Name: value\r\n'],
    ['"/" in the name', 'X/Name: value\r\n'],
    ['obs-text in the name', 'X-Caf\xe9: value\r\n'],
    ['a NUL in the name', 'X-\x00: value\r\n'],
    ['a NUL in the value', 'X: a\x00b\r\n'],
    ['a bare CR inside the value', 'X: a\rb\r\n'],
    ['a bare CR at the end of the value', 'X: ab\r\r\n'],
    ['a bare CR on a line of its own', '\r\r\n'],
    ['a control byte 0x01 in the value', 'X: a\x01b\r\n'],
    ['a vertical tab in the value', 'X: a\x0bb\r\n'],
    ['a form feed in the value', 'X: a\x0cb\r\n'],
    ['an escape byte 0x1b in the value', 'X: a\x1bb\r\n'],
    ['a DEL byte in the value', 'X: a\x7fb\r\n'],
    ['a control byte in an obs-fold line', 'X: a\r\n b\x01\r\n'],
  ];
  for (const [what, lines] of invalid) {
    it(`errors with InvalidResponse for ${what}, with no head emitted`, () => {
      const r = parseEach(`${OK}${lines}Content-Length: 0\r\n\r\n`);
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events).toEqual([]);
      expect(r.headRequests).toBe(0);
    });
  }

  it('errors with InvalidResponse for an invalid trailer line, after the data', () => {
    const r = parseEach(`${OK}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nT : v\r\n\r\n`);
    expect(r.error).toBeInstanceOf(InvalidResponse);
    expect(r.events.map((e) => e.type)).toEqual(['head', 'data']);
  });
});

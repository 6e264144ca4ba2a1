import { InvalidResponse, UnsupportedResponse } from '../../lib/errors';
import { RESPONSE_END, ResponseParser, type ParsedEvent } from '../../lib/http1/parser';
import { bytes, data, END, head, normalise, parse, parseEach, recordingParser, type Ev } from '../support/parse';

const OK = 'HTTP/1.1 200 OK\r\n';
const CHUNKED = `${OK}Transfer-Encoding: chunked\r\n\r\n`;

describe('ResponseParser', () => {
  describe('status line', () => {
    it('reads an HTTP/1.1 status line: status, reason and version', () => {
      const r = parseEach('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      expect(r.error).toBeUndefined();
      expect(r.events).toEqual([head(404, 'Not Found', [['Content-Length', '0']]), END]);
    });

    it('reads an HTTP/1.0 status line as version 1.0', () => {
      const r = parseEach('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi');
      expect(r.events).toEqual([head(200, 'OK', [['Content-Length', '2']], '1.0'), data('hi'), END]);
    });

    it('reads a higher minor version (HTTP/1.2) as 1.1', () => {
      const r = parseEach('HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n');
      expect(r.events).toEqual([head(200, 'OK', [['Content-Length', '0']], '1.1'), END]);
    });

    for (const version of ['HTTP/2.0', 'HTTP/0.9', 'HTTP/3.0']) {
      it(`errors with UnsupportedResponse for ${version}`, () => {
        const r = parseEach(`${version} 200 OK\r\nContent-Length: 0\r\n\r\n`);
        expect(r.error).toBeInstanceOf(UnsupportedResponse);
        expect(r.events).toEqual([]);
      });
    }

    const garbage: [string, string][] = [
      ['another protocol', 'ICY 200 OK'],
      ['a lower-case protocol name', 'http/1.1 200 OK'],
      ['a two-digit status', 'HTTP/1.1 20 OK'],
      ['a four-digit status', 'HTTP/1.1 2000 OK'],
      ['a non-digit in the status', 'HTTP/1.1 2x0 OK'],
      ['two spaces before the status', 'HTTP/1.1  200 OK'],
      ['a tab instead of the space before the reason', 'HTTP/1.1 200\tOK'],
      ['a non-digit version', 'HTTP/1.x 200 OK'],
      ['a two-digit major version', 'HTTP/11.1 200 OK'],
      ['no status at all', 'HTTP/1.1'],
      ['a bare HTML body', '<html><body>hello</body></html>'],
    ];
    for (const [what, line] of garbage) {
      it(`errors with InvalidResponse for a status line with ${what}`, () => {
        const r = parseEach(`${line}\r\nContent-Length: 0\r\n\r\n`);
        expect(r.error).toBeInstanceOf(InvalidResponse);
        expect(r.events).toEqual([]);
      });
    }

    it('accepts an empty reason phrase after the space', () => {
      expect(parseEach('HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n').events).toEqual([head(200, '', [['Content-Length', '0']]), END]);
    });

    it('accepts a status line that ends right after the status code (no space, no reason)', () => {
      expect(parseEach('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n').events).toEqual([head(200, '', [['Content-Length', '0']]), END]);
    });

    it('keeps the reason phrase as sent, spaces and obs-text included (decoded as latin1)', () => {
      const r = parseEach('HTTP/1.1 200  Tr\xe8s bien \r\nContent-Length: 0\r\n\r\n');
      expect(r.events[0]).toEqual(head(200, ' Tr\u00e8s bien ', [['Content-Length', '0']]));
    });

    for (const [what, byte] of [
      ['NUL', '\x00'],
      ['bare CR', '\r'],
      ['control byte', '\x01'],
    ]) {
      it(`errors with InvalidResponse for a ${what} in the reason phrase`, () => {
        const r = parseEach(`HTTP/1.1 200 O${byte}K\r\nContent-Length: 0\r\n\r\n`);
        expect(r.error).toBeInstanceOf(InvalidResponse);
        expect(r.events).toEqual([]);
      });
    }

    for (const status of ['099', '000', '010']) {
      it(`errors with InvalidResponse for status ${status} (below 100)`, () => {
        const r = parseEach(`HTTP/1.1 ${status} Low\r\nContent-Length: 0\r\n\r\n`);
        expect(r.error).toBeInstanceOf(InvalidResponse);
        expect(r.events).toEqual([]);
      });
    }

    it('ignores empty lines (CRLF or LF) before the status line', () => {
      const r = parseEach('\r\n\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx\r\nHTTP/1.1 204 No Content\r\n\r\n');
      expect(r.error).toBeUndefined();
      expect(r.events).toEqual([head(200, 'OK', [['Content-Length', '1']]), data('x'), END, head(204, 'No Content'), END]);
    });
  });

  describe('informational (1xx) responses', () => {
    it('emits 100 Continue as an informational event before the head, without asking headRequest()', () => {
      const r = parseEach('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      expect(r.events).toEqual([
        { type: 'informational', status: 100, reason: 'Continue', headers: [] },
        head(200, 'OK', [['Content-Length', '2']]),
        data('ok'),
        END,
      ]);
      expect(r.headRequests).toBe(1);
    });

    it('emits several 1xx responses, 103 with its own header fields, in order before the head', () => {
      const r = parseEach(
        'HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nLink: </b.js>; rel=preload\r\n\r\n' +
          'HTTP/1.1 102 Processing\r\n\r\n' +
          'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: y\r\n\r\n',
      );
      expect(r.events).toEqual([
        {
          type: 'informational',
          status: 103,
          reason: 'Early Hints',
          headers: [
            ['Link', '</a.css>; rel=preload'],
            ['Link', '</b.js>; rel=preload'],
          ],
        },
        { type: 'informational', status: 102, reason: 'Processing', headers: [] },
        head(200, 'OK', [
          ['Content-Length', '0'],
          ['X', 'y'],
        ]),
        END,
      ]);
      expect(r.headRequests).toBe(1);
    });

    it('gives a 1xx response no body even with Content-Length or Transfer-Encoding', () => {
      const r = parseEach(
        'HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nHTTP/1.1 103 Hints\r\nTransfer-Encoding: gzip\r\n\r\n' +
          'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
      );
      expect(r.error).toBeUndefined();
      expect(r.events.map((e) => e.type)).toEqual(['informational', 'informational', 'head', 'data', 'end']);
    });

    it('errors with UnsupportedResponse for an unrequested 101 Switching Protocols', () => {
      const r = parseEach('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      expect(r.error).toBeInstanceOf(UnsupportedResponse);
      expect(r.events).toEqual([]);
    });
  });

  describe('Content-Length framing', () => {
    it('reads exactly Content-Length bytes, ends, and reads what follows as the next response', () => {
      const r = parseEach(`${OK}Content-Length: 5\r\n\r\nhelloHTTP/1.1 204 No Content\r\n\r\n`);
      expect(r.events).toEqual([head(200, 'OK', [['Content-Length', '5']]), data('hello'), END, head(204, 'No Content'), END]);
    });

    it('ends a Content-Length: 0 response with its head, with no data event', () => {
      const r = parse(`${OK}Content-Length: 0\r\n\r\n`);
      expect(r.raw.map((e) => e.type)).toEqual(['head', 'end']);
    });

    it('accepts a list of identical values ("5, 5")', () => {
      const r = parseEach(`${OK}Content-Length: 5, 5\r\n\r\nhello`);
      expect(r.events).toEqual([head(200, 'OK', [['Content-Length', '5, 5']]), data('hello'), END]);
    });

    it('accepts repeated Content-Length fields with the same value', () => {
      const r = parseEach(`${OK}Content-Length: 5\r\ncontent-length: 5\r\n\r\nhello`);
      expect(r.error).toBeUndefined();
      expect(r.events.slice(1)).toEqual([data('hello'), END]);
    });

    it('reads a value with leading zeros as its number', () => {
      expect(parseEach(`${OK}Content-Length: 003\r\n\r\nabcd`).events.slice(1)).toEqual([data('abc'), END]);
    });

    const bad: [string, string][] = [
      ['differing values in one field', 'Content-Length: 5, 6'],
      ['differing values in repeated fields', 'Content-Length: 5\r\nContent-Length: 6'],
      ['a non-numeric value', 'Content-Length: abc'],
      ['digits followed by letters', 'Content-Length: 5a'],
      ['a hexadecimal value', 'Content-Length: 0x5'],
      ['a decimal point', 'Content-Length: 5.0'],
      ['a plus sign', 'Content-Length: +5'],
      ['a negative value', 'Content-Length: -1'],
      ['an empty value', 'Content-Length: '],
      ['an empty list member', 'Content-Length: 5,'],
      ['two numbers separated by a space', 'Content-Length: 5 5'],
      ['a value above 2^53', 'Content-Length: 9007199254740993'],
      ['a huge value', `Content-Length: ${'9'.repeat(400)}`],
    ];
    for (const [what, line] of bad) {
      it(`errors with InvalidResponse for ${what}, before the head is emitted`, () => {
        const r = parseEach(`${OK}${line}\r\n\r\nhello`);
        expect(r.error).toBeInstanceOf(InvalidResponse);
        expect(r.events).toEqual([]);
      });
    }

    it('errors with InvalidResponse when Content-Length and Transfer-Encoding are both present', () => {
      for (const fields of [
        'Content-Length: 5\r\nTransfer-Encoding: chunked',
        'Transfer-Encoding: chunked\r\nContent-Length: 5',
        'Transfer-Encoding: gzip\r\nContent-Length: 5',
      ]) {
        const r = parseEach(`${OK}${fields}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
        expect(r.error).withContext(fields).toBeInstanceOf(InvalidResponse);
        expect(r.events).withContext(fields).toEqual([]);
      }
    });

    it('hands body pieces on as they arrive, without waiting for the whole body', () => {
      const { parser, raw } = recordingParser();
      parser.execute(bytes(`${OK}Content-Length: 11\r\n\r\nhel`));
      expect(normalise(raw)).toEqual([head(200, 'OK', [['Content-Length', '11']]), data('hel')]);
      parser.execute(bytes('lo wor'));
      expect(normalise(raw).slice(1)).toEqual([data('hello wor')]);
      expect(raw.length).toBe(3);
      parser.execute(bytes('ld'));
      expect(normalise(raw).slice(1)).toEqual([data('hello world'), END]);
    });
  });

  describe('chunked framing', () => {
    it('reads a chunked body: head, the data in order, then end', () => {
      const r = parseEach(`${CHUNKED}5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n`);
      expect(r.events).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']]), data('hello world'), END]);
    });

    it('emits one data event per chunk when the body comes in one read', () => {
      const r = parse(`${CHUNKED}5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`);
      expect(r.raw.map((e) => e.type)).toEqual(['head', 'data', 'data', 'end']);
    });

    it('reads upper- and lower-case hex chunk sizes', () => {
      const body = 'x'.repeat(0x1a + 0xbc);
      const r = parseEach(`${CHUNKED}1A\r\n${body.slice(0, 0x1a)}\r\n0bC\r\n${body.slice(0x1a)}\r\n0\r\n\r\n`);
      expect(r.events.slice(1)).toEqual([data(body), END]);
    });

    it('reads the Transfer-Encoding value case-insensitively', () => {
      const r = parseEach(`${OK}transfer-encoding:  Chunked \r\n\r\n2\r\nok\r\n0\r\n\r\n`);
      expect(r.events.slice(1)).toEqual([data('ok'), END]);
    });

    it('ignores chunk extensions, with BWS before ";" and quoted values', () => {
      const r = parseEach(`${CHUNKED}5;name=value\r\nhello\r\n3 ;a;b=c\r\n, w\r\n4\t; q="x;y\\"z" ; r = s\r\norld\r\n0;last\r\n\r\n`);
      expect(r.error).toBeUndefined();
      expect(r.events.slice(1)).toEqual([data('hello, world'), END]);
    });

    it('accepts whitespace after a chunk size that ends its line', () => {
      const r = parseEach(`${CHUNKED}5 \r\nhello\r\n3\t \nabc\r\n0  \r\n\r\n`);
      expect(r.error).toBeUndefined();
      expect(r.events.slice(1)).toEqual([data('helloabc'), END]);
    });

    it('counts whitespace after a chunk size against maxHeaderSize', () => {
      const r = parseEach(`${CHUNKED}5${' '.repeat(2000)};x\r\nhello\r\n0\r\n\r\n`, { limits: { maxHeaderSize: 1024 } });
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events.length).toBe(1);
    });

    it('accepts a single LF ending chunk-size lines, chunk data and the trailer section', () => {
      const r = parseEach(`${OK}Transfer-Encoding: chunked\n\n5\nhello\n3;x\nabc\n0\nT: 1\n\n`);
      expect(r.events).toEqual([
        head(200, 'OK', [['Transfer-Encoding', 'chunked']]),
        data('helloabc'),
        { type: 'trailers', headers: [['T', '1']] },
        END,
      ]);
    });

    it('emits trailers once, after the last data, then end', () => {
      const r = parseEach(`${CHUNKED}3\r\nabc\r\n0\r\nDigest: sha-256=x\r\nX-Count:  2 \r\nDigest: more\r\n\r\n`);
      expect(r.raw.map((e) => e.type)).toEqual(['head', 'data', 'trailers', 'end']);
      expect(r.events[2]).toEqual({
        type: 'trailers',
        headers: [
          ['Digest', 'sha-256=x'],
          ['X-Count', '2'],
          ['Digest', 'more'],
        ],
      });
      const trailers = r.raw[2];
      expect(trailers.type === 'trailers' && trailers.headers.get('digest')).toBe('sha-256=x, more');
    });

    it('emits no trailers event when the trailer section is empty', () => {
      const r = parseEach(`${CHUNKED}0\r\n\r\n`);
      expect(r.events).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']]), END]);
    });

    it('errors with InvalidResponse for a malformed trailer line, after the data', () => {
      const r = parseEach(`${CHUNKED}3\r\nabc\r\n0\r\nNo colon here\r\n\r\n`);
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events.slice(1)).toEqual([data('abc')]);
    });

    const badSizes: [string, string][] = [
      ['a non-hex chunk size', 'x\r\nhello\r\n0\r\n\r\n'],
      ['an empty chunk-size line', '\r\nhello\r\n0\r\n\r\n'],
      ['a negative chunk size', '-5\r\nhello\r\n0\r\n\r\n'],
      ['a 0x prefix', '0x5\r\nhello\r\n0\r\n\r\n'],
      ['a chunk size with whitespace before it', ' 5\r\nhello\r\n0\r\n\r\n'],
      ['a chunk size followed by something other than ";" or a line end', '5 6\r\nhello\r\n0\r\n\r\n'],
      ['a chunk size too large to count (2^53)', '20000000000000\r\n'],
      ['a chunk size of 17 hex digits', 'FFFFFFFFFFFFFFFFF\r\n'],
      ['chunk data not followed by CRLF', '5\r\nhelloX\r\n0\r\n\r\n'],
      ['chunk data followed by CR and another byte', '5\r\nhello\rX0\r\n\r\n'],
      ['chunk data longer than its size', '3\r\nhello\r\n0\r\n\r\n'],
      ['a bare CR in a chunk-size line', '5\rX\nhello\r\n0\r\n\r\n'],
      ['a bare CR in a chunk extension', '5;a\rb\r\nhello\r\n0\r\n\r\n'],
      ['a control byte in a chunk extension', '5;a=\x01\r\nhello\r\n0\r\n\r\n'],
    ];
    for (const [what, body] of badSizes) {
      it(`errors with InvalidResponse for ${what}`, () => {
        const r = parseEach(CHUNKED + body);
        expect(r.error).toBeInstanceOf(InvalidResponse);
        expect(r.events[r.events.length - 1]).not.toEqual(END);
      });
    }

    it('emits the data that came before a framing error, and nothing after it', () => {
      const r = parseEach(`${CHUNKED}5\r\nhello\r\n5\r\nworldX\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n`);
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']]), data('helloworld')]);
    });
  });

  describe('other transfer codings', () => {
    for (const value of ['gzip', 'gzip, chunked', 'chunked, gzip', 'identity', 'chunked, chunked']) {
      it(`errors with UnsupportedResponse for Transfer-Encoding: ${value}`, () => {
        const r = parseEach(`${OK}Transfer-Encoding: ${value}\r\n\r\n0\r\n\r\n`);
        expect(r.error).toBeInstanceOf(UnsupportedResponse);
        expect(r.events).toEqual([]);
      });
    }

    it('errors with UnsupportedResponse for a coding in one field and chunked in another', () => {
      const r = parseEach(`${OK}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
      expect(r.error).toBeInstanceOf(UnsupportedResponse);
    });

    it('allows any Transfer-Encoding on a response to HEAD, which has no body', () => {
      const r = parseEach(`${OK}Transfer-Encoding: gzip, chunked\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx`, {
        heads: [true, false],
      });
      expect(r.error).toBeUndefined();
      expect(r.events).toEqual([
        head(200, 'OK', [['Transfer-Encoding', 'gzip, chunked']]),
        END,
        head(200, 'OK', [['Content-Length', '1']]),
        data('x'),
        END,
      ]);
    });

    it('allows any Transfer-Encoding on a 304 response, which has no body', () => {
      const r = parseEach('HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: gzip\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
      expect(r.error).toBeUndefined();
      expect(r.events).toEqual([head(304, 'Not Modified', [['Transfer-Encoding', 'gzip']]), END, head(204, 'No Content'), END]);
    });
  });

  describe('responses without a body', () => {
    it('gives a response to HEAD no body even with Content-Length, and reads the next response right after', () => {
      const r = parseEach(`${OK}Content-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`, {
        heads: [true, false],
      });
      expect(r.events).toEqual([
        head(200, 'OK', [['Content-Length', '100']]),
        END,
        head(200, 'OK', [['Content-Length', '2']]),
        data('ok'),
        END,
      ]);
    });

    it('gives a chunked response to HEAD no body', () => {
      const r = parseEach(`${CHUNKED}HTTP/1.1 204 No Content\r\n\r\n`, { heads: [true] });
      expect(r.events).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']]), END, head(204, 'No Content'), END]);
    });

    for (const [status, reason] of [
      [204, 'No Content'],
      [304, 'Not Modified'],
    ] as const) {
      it(`gives a ${status} response no body even with Content-Length or chunked`, () => {
        const r = parseEach(
          `HTTP/1.1 ${status} ${reason}\r\nContent-Length: 5\r\n\r\n` +
            `HTTP/1.1 ${status} ${reason}\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`,
        );
        expect(r.error).toBeUndefined();
        expect(r.events.map((e) => e.type)).toEqual(['head', 'end', 'head', 'end', 'head', 'end']);
      });
    }

    it('asks headRequest() once per final response, in order, and not for 1xx', () => {
      const calls: string[] = [];
      const answers = [true, false, false, true];
      const raw: ParsedEvent[] = [];
      // A handler that logs when it is asked, against the events so far.
      const logging = new ResponseParser({
        headRequest: () => {
          calls.push(`ask ${raw.length}`);
          return answers.shift() ?? false;
        },
        onEvent: (event) => raw.push(event),
      });
      logging.execute(
        bytes(
          `${OK}Content-Length: 3\r\n\r\n` +
            'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc' +
            'HTTP/1.1 204 No Content\r\n\r\n' +
            'HTTP/1.1 103 Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n',
        ),
      );
      expect(normalise(raw).map((e) => e.type)).toEqual([
        'head',
        'end',
        'informational',
        'head',
        'data',
        'end',
        'head',
        'end',
        'informational',
        'head',
        'end',
      ]);
      // Asked when each final head is complete, just before its head event.
      expect(calls).toEqual(['ask 0', 'ask 3', 'ask 6', 'ask 9']);
    });
  });

  describe('read until close', () => {
    it('emits data as it comes; finish() returns true and emits end after the data', () => {
      const { parser, raw } = recordingParser();
      parser.execute(bytes(`${OK}Content-Type: text/plain\r\n\r\nsome `));
      parser.execute(bytes('data'));
      expect(normalise(raw)).toEqual([head(200, 'OK', [['Content-Type', 'text/plain']]), data('some data')]);
      expect(parser.finish()).toBe(true);
      expect(normalise(raw)).toEqual([head(200, 'OK', [['Content-Type', 'text/plain']]), data('some data'), END]);
    });

    it('reads an HTTP/1.0 body until the close, even when it looks like another response', () => {
      const r = parseEach('HTTP/1.0 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', { finish: true });
      expect(r.finished).toBe(true);
      expect(r.events).toEqual([head(200, 'OK', [], '1.0'), data('HTTP/1.1 200 OK\r\n\r\n'), END]);
    });

    it('ends an empty body at the close', () => {
      const r = parseEach(`${OK}\r\n`, { finish: true });
      expect(r.finished).toBe(true);
      expect(r.events).toEqual([head(200, 'OK'), END]);
    });
  });

  describe('finish()', () => {
    const truncated: [string, string][] = [
      ['in the status line', 'HTTP/1.1 20'],
      ['after the status line', OK],
      ['in the header section', `${OK}Content-Length: 5\r\nX-A: b`],
      ['before the blank line ending the head', `${OK}Content-Length: 5\r\n`],
      ['in a Content-Length body', `${OK}Content-Length: 5\r\n\r\nhel`],
      ['right after the head of a Content-Length body', `${OK}Content-Length: 5\r\n\r\n`],
      ['in a chunk', `${CHUNKED}5\r\nhel`],
      ['in a chunk-size line', `${CHUNKED}5\r\nhello\r\n1`],
      ['before the CRLF after chunk data', `${CHUNKED}5\r\nhello`],
      ['after the last chunk, before the trailer section ends', `${CHUNKED}5\r\nhello\r\n0\r\n`],
      ['in a trailer line', `${CHUNKED}0\r\nX: y`],
      ['after a 1xx response, before the final one', 'HTTP/1.1 100 Continue\r\n\r\n'],
      ['after a 1xx response and a CRLF', 'HTTP/1.1 103 Hints\r\nLink: </a>\r\n\r\n\r\n'],
    ];
    for (const [where, input] of truncated) {
      it(`returns false when the input ends ${where}, and emits no end`, () => {
        const r = parseEach(input, { finish: true });
        expect(r.error).toBeUndefined();
        expect(r.finished).toBe(false);
        expect(r.events).not.toContain(END);
      });
    }

    it('returns true between responses and before any byte', () => {
      expect(parse('', { finish: true }).finished).toBe(true);
      const r = parseEach(`${OK}Content-Length: 2\r\n\r\nok${CHUNKED}0\r\n\r\n`, { finish: true });
      expect(r.finished).toBe(true);
      expect(r.events.filter((e) => e.type === 'end').length).toBe(2);
    });
  });

  describe('pipelining', () => {
    it('parses responses of every framing back to back in one buffer', () => {
      const input =
        `${OK}Content-Length: 3\r\n\r\nabc` +
        `${CHUNKED}2\r\nde\r\n0\r\nT: t\r\n\r\n` +
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nf' +
        `${OK}Content-Length: 9\r\n\r\n` +
        'HTTP/1.1 304 Not Modified\r\n\r\n' +
        `${OK}\r\ntail`;
      const r = parseEach(input, { heads: [false, false, false, true], finish: true });
      const expected: Ev[] = [
        head(200, 'OK', [['Content-Length', '3']]),
        data('abc'),
        END,
        head(200, 'OK', [['Transfer-Encoding', 'chunked']]),
        data('de'),
        { type: 'trailers', headers: [['T', 't']] },
        END,
        { type: 'informational', status: 100, reason: 'Continue', headers: [] },
        head(201, 'Created', [['Content-Length', '1']]),
        data('f'),
        END,
        head(200, 'OK', [['Content-Length', '9']]),
        END,
        head(304, 'Not Modified'),
        END,
        head(200, 'OK'),
        data('tail'),
        END,
      ];
      expect(r.error).toBeUndefined();
      expect(r.events).toEqual(expected);
      expect(r.finished).toBe(true);
    });

    it('returns from execute() the number of bytes consumed: all of them', () => {
      const { parser } = recordingParser();
      const input = bytes(`${OK}Content-Length: 3\r\n\r\nabc${OK}Content`);
      expect(parser.execute(input)).toBe(input.length);
      expect(parser.execute(bytes('-Length: 0\r\n\r\n'))).toBe(14);
      expect(parser.execute(new Uint8Array(0))).toBe(0);
    });

    it('stop() from an event makes execute() return the count consumed so far, and 0 after that', () => {
      const first = `${OK}Content-Length: 3\r\n\r\n`;
      const input = bytes(`${first}abc${OK}Content-Length: 0\r\n\r\n`);
      const raw: ParsedEvent[] = [];
      const stopping = new ResponseParser({
        headRequest: () => false,
        onEvent(event) {
          raw.push(event);
          if (event.type === 'head') stopping.stop();
        },
      });
      expect(stopping.execute(input)).toBe(first.length);
      expect(raw.map((e) => e.type)).toEqual(['head']);
      expect(stopping.execute(input.subarray(first.length))).toBe(0);
      expect(raw.length).toBe(1);
    });

    it('stop() on a data event counts that data as consumed', () => {
      const first = `${OK}Content-Length: 3\r\n\r\nabc`;
      const input = bytes(`${first}${OK}Content-Length: 0\r\n\r\n`);
      let count = 0;
      const stopping = new ResponseParser({
        headRequest: () => false,
        onEvent(event) {
          count++;
          if (event.type === 'data') stopping.stop();
        },
      });
      // The data event ends the body, so its end event comes in the same step.
      expect(stopping.execute(input)).toBe(first.length);
      expect(count).toBe(3);
    });
  });

  describe('errors', () => {
    it('throws again from execute() after an error, even for valid input', () => {
      const { parser, raw } = recordingParser();
      expect(() => parser.execute(bytes('HTTP/1.1 200 OK\r\nBad Header\r\n'))).toThrowError(InvalidResponse);
      expect(() => parser.execute(bytes(`${OK}Content-Length: 0\r\n\r\n`))).toThrowError(InvalidResponse);
      expect(raw).toEqual([]);
      expect(parser.finish()).toBe(false);
    });

    it('throws again from execute() after an UnsupportedResponse', () => {
      const { parser } = recordingParser();
      expect(() => parser.execute(bytes('HTTP/2.0 200 OK\r\n'))).toThrowError(UnsupportedResponse);
      expect(() => parser.execute(bytes(`${OK}Content-Length: 0\r\n\r\n`))).toThrow();
    });

    it('fails once an event handler throws, and does not go on parsing', () => {
      const failing = new ResponseParser({
        headRequest: () => false,
        onEvent() {
          throw new Error('consumer bug');
        },
      });
      expect(() => failing.execute(bytes(`${OK}Content-Length: 0\r\n\r\n`))).toThrowError('consumer bug');
      expect(() => failing.execute(bytes(`${OK}Content-Length: 0\r\n\r\n`))).toThrowError(InvalidResponse);
    });
  });

  describe('limits', () => {
    const limits = { maxHeaderSize: 1024 };

    it('accepts a head of exactly maxHeaderSize bytes and rejects one byte more', () => {
      const frame = (n: number) => `${OK}X: ${'a'.repeat(n)}\r\n\r\n`;
      const exact = frame(1024 - frame(0).length);
      expect(exact.length).toBe(1024);
      expect(parseEach(exact, { limits }).events).toEqual([head(200, 'OK', [['X', 'a'.repeat(1024 - frame(0).length)]])]);
      const over = parseEach(frame(1025 - frame(0).length), { limits });
      expect(over.error).toBeInstanceOf(InvalidResponse);
      expect(over.events).toEqual([]);
    });

    it('errors with InvalidResponse for one header line longer than maxHeaderSize', () => {
      const r = parseEach(`${OK}X-Long: ${'v'.repeat(2000)}\r\nContent-Length: 0\r\n\r\n`, { limits });
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events).toEqual([]);
    });

    it('errors with InvalidResponse for many short header lines that add up past maxHeaderSize', () => {
      let fields = '';
      for (let i = 0; i < 200; i++) fields += `X-${i}: v\r\n`;
      const r = parseEach(`${OK}${fields}Content-Length: 0\r\n\r\n`, { limits });
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events).toEqual([]);
    });

    it('counts each response, and each 1xx head, against maxHeaderSize on its own', () => {
      const fields = `X: ${'a'.repeat(600)}\r\n`;
      const r = parseEach(
        `HTTP/1.1 103 Hints\r\n${fields}\r\n${OK}${fields}Content-Length: 0\r\n\r\n${OK}${fields}Content-Length: 0\r\n\r\n`,
        { limits },
      );
      expect(r.error).toBeUndefined();
      expect(r.events.map((e) => e.type)).toEqual(['informational', 'head', 'end', 'head', 'end']);
    });

    it('errors as soon as a head that never ends passes maxHeaderSize, holding no more than the limit', () => {
      const { parser } = recordingParser({ limits: { maxHeaderSize: 64 * 1024 } });
      const piece = Buffer.alloc(64 * 1024, 'a');
      let fed = 0;
      let error: unknown;
      try {
        while (fed < 10 * 1024 * 1024) {
          fed += piece.length;
          parser.execute(piece);
        }
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InvalidResponse);
      // The second 64 KiB piece takes the head past the limit: the other 9.9 MB are never asked for.
      expect(fed).toBe(2 * piece.length);
      expect(parser['line'].length).toBeLessThanOrEqual(64 * 1024);
    });

    it('errors for a head without LF fed one byte at a time once it passes maxHeaderSize', () => {
      const r = parse(`${OK}X: ${'a'.repeat(5000)}`, { limits, split: 'bytes' });
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.fed).toBe(1025);
    });

    it('errors with InvalidResponse for a trailer section larger than maxHeaderSize, after the data', () => {
      const r = parseEach(`${CHUNKED}3\r\nabc\r\n0\r\nX: ${'t'.repeat(1100)}\r\n\r\n`, { limits });
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']]), data('abc')]);
    });

    it('errors with InvalidResponse for chunk extensions larger than maxHeaderSize', () => {
      const r = parseEach(`${CHUNKED}3;x=${'e'.repeat(1100)}\r\nabc\r\n0\r\n\r\n`, { limits });
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']])]);
    });

    it('errors for a Content-Length above maxResponseSize at the head, before any data', () => {
      const r = parseEach(`${OK}Content-Length: 11\r\n\r\nhello world`, { limits: { maxResponseSize: 10 } });
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events).toEqual([]);
    });

    it('accepts a body of exactly maxResponseSize, for every framing, per response', () => {
      const input = `${OK}Content-Length: 10\r\n\r\n0123456789${CHUNKED}5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n${OK}\r\n0123456789`;
      const r = parseEach(input, { limits: { maxResponseSize: 10 }, finish: true });
      expect(r.error).toBeUndefined();
      expect<Ev[]>(r.events.filter((e) => e.type === 'data')).toEqual([data('0123456789'), data('0123456789'), data('0123456789')]);
    });

    it('errors for a chunked body passing maxResponseSize at the chunk size, before its data', () => {
      const r = parseEach(`${CHUNKED}6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n`, { limits: { maxResponseSize: 10 } });
      expect(r.error).toBeInstanceOf(InvalidResponse);
      expect(r.events).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']]), data('hello ')]);
    });

    it('errors for a read-until-close body passing maxResponseSize without emitting bytes past it', () => {
      const over = parse(`${OK}\r\n0123456789abc`, { limits: { maxResponseSize: 10 }, split: [OK.length + 2, OK.length + 8] });
      expect(over.error).toBeInstanceOf(InvalidResponse);
      expect(over.events).toEqual([head(200, 'OK'), data('012345')]);
      const byByte = parse(`${OK}\r\n0123456789abc`, { limits: { maxResponseSize: 10 }, split: 'bytes' });
      expect(byByte.error).toBeInstanceOf(InvalidResponse);
      expect(byByte.events).toEqual([head(200, 'OK'), data('0123456789')]);
    });
  });

  describe('linear parsing', () => {
    it('completes a 200 KB header section fed one byte per execute() call', () => {
      let section = '';
      const expected: [string, string][] = [];
      for (let i = 0; section.length < 200_000; i++) {
        const value = `value-${i}-${'x'.repeat(i % 50)}`;
        section += `X-Field-${i}: ${value}\r\n`;
        expected.push([`X-Field-${i}`, value]);
      }
      const input = `${OK}${section}Content-Length: 2\r\n\r\nok`;
      const r = parse(input, { split: 'bytes', limits: { maxHeaderSize: 1024 * 1024 } });
      expect(r.error).toBeUndefined();
      expect(r.events).toEqual([head(200, 'OK', [...expected, ['Content-Length', '2']]), data('ok'), END]);
    });

    it('completes one 200 KB header line fed one byte per execute() call', () => {
      const value = 'v'.repeat(200_000);
      const r = parse(`${OK}X-Big: ${value}\r\nContent-Length: 0\r\n\r\n`, {
        split: 'bytes',
        limits: { maxHeaderSize: 1024 * 1024 },
      });
      expect(r.events).toEqual([
        head(200, 'OK', [
          ['X-Big', value],
          ['Content-Length', '0'],
        ]),
        END,
      ]);
    });

    for (const framing of ['Content-Length', 'chunked']) {
      it(`completes a 200 KB ${framing} body fed one byte per execute() call, as views of the input`, () => {
        const body = Buffer.alloc(200_000);
        for (let i = 0; i < body.length; i++) body[i] = i % 251;
        const prefix = framing === 'chunked' ? `${CHUNKED}${body.length.toString(16)}\r\n` : `${OK}Content-Length: ${body.length}\r\n\r\n`;
        const suffix = framing === 'chunked' ? '\r\n0\r\n\r\n' : '';
        const input = Buffer.concat([bytes(prefix), body, bytes(suffix)]);
        const { parser, raw } = recordingParser();
        for (let i = 0; i < input.length; i++) parser.execute(input.subarray(i, i + 1));
        const datas = raw.filter((e) => e.type === 'data');
        expect(datas.length).toBe(body.length);
        expect(datas.every((e) => e.type === 'data' && e.data.buffer === input.buffer)).toBe(true);
        expect(Buffer.concat(datas.map((e) => (e.type === 'data' ? e.data : new Uint8Array(0))))).toEqual(body);
        expect(raw[raw.length - 1]).toBe(RESPONSE_END);
      });
    }

    it('hands on body bytes of a plain Uint8Array as views of its buffer', () => {
      const input = new Uint8Array(bytes(`${OK}Content-Length: 3\r\n\r\nabc${OK}\r\nuntil close`));
      const { parser, raw } = recordingParser();
      expect(parser.execute(input)).toBe(input.length);
      const datas = raw.filter((e) => e.type === 'data');
      expect(datas.length).toBe(2);
      for (const event of datas) expect(event.type === 'data' && event.data.buffer).toBe(input.buffer);
      expect<Ev[]>(normalise(raw).filter((e) => e.type === 'data')).toEqual([data('abc'), data('until close')]);
    });
  });
});

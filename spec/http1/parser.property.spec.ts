import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytes, cut, parse, type Ev, type Fields } from '../support/parse';

// Property tests: random valid pipelined exchanges, written out byte for
// byte together with the events a parser must emit for them, then fed to
// the parser cut at random offsets or truncated at a random offset. The
// checks throw (node:assert) so that fast-check sees a failure and shrinks it.

/** One response of an exchange: its bytes and what parsing them must emit. */
interface Wire {
  /** Stray empty lines before the status line (RFC 9112 §2.2 lets a client skip them). */
  prefix: string;
  /** The response from its status line on. */
  text: string;
  /** Offset in `text` where the final head ends: the body of a read-until-close response starts here. */
  headEnd: number;
  events: Ev[];
  /** The request was HEAD: headRequest() must answer true for it. */
  head: boolean;
  /** The body runs until the close; only the last response may be one. */
  untilClose: boolean;
  /** The response's body, for a read-until-close response cut short. */
  body: string;
  /** Offsets in `text` where a head ends (1xx ones too): where truncation bugs hide. */
  marks: number[];
}

const eol = fc.constantFrom('\r\n', '\n');
const ows = fc.constantFrom('', ' ', '\t', ' \t ');
const char = (codes: string) => fc.constantFrom(...codes.split(''));
const latin1 = fc.constantFrom('\x80', '\xa0', '\xe9', '\xff');
const valueChar = fc.oneof(char('abcXYZ019-_.;=,/"()'), latin1);
/** A field value that starts and ends with a visible byte, with inner spaces and tabs. */
const value = fc.tuple(fc.array(fc.oneof(valueChar, char(' \t')), { maxLength: 8 }), valueChar).map(([inner, last]) => {
  const text = inner.join('') + last;
  return text.replace(/^[ \t]+/, '');
});
/** Names that never clash with the framing fields. */
const name = fc.constantFrom('X-A', 'x-b', 'Server', 'ETag', 'Via', 'Cache-Control', "X!#$%&'*+-.^_`|~");
/** A field line, perhaps with OWS and an obs-fold, and its parsed [name, value]. */
const field = fc
  .record({
    name,
    value,
    fold: fc.option(value, { nil: undefined }),
    before: ows,
    after: ows,
    eol,
    foldWs: fc.constantFrom(' ', '\t', '  '),
  })
  .map(({ name, value, fold, before, after, eol, foldWs }) => ({
    text: `${name}:${before}${value}${fold === undefined ? '' : `${after}${eol}${foldWs}${fold}`}${after}${eol}`,
    parsed: [name, fold === undefined ? value : `${value} ${fold}`] as [string, string],
  }));
const fieldsOf = (lines: { text: string; parsed: [string, string] }[]) => ({
  text: lines.map((l) => l.text).join(''),
  parsed: lines.map((l) => l.parsed) as Fields,
});
const fields = fc.array(field, { maxLength: 3 }).map(fieldsOf);
const reason = fc.constantFrom('OK', '', 'Not Found', 'Tr\xe8s bien', 'a b  c');
const prefix = fc.constantFrom('', '', '', '\r\n', '\n', '\r\n\r\n');
const body = fc.uint8Array({ maxLength: 80 }).map((u) => Buffer.from(u).toString('latin1'));
const informational = fc.record({ status: fc.constantFrom(100, 102, 103), reason, fields, eol });
const extension = fc.constantFrom('', '', ';a', ';a=b', ' ;q="x;y"', '\t ; n = 1', ';x="a\\"b";y');

function statusLine(version: string, status: number, text: string, eol: string): string {
  return `HTTP/${version} ${status}${text === '' ? '' : ` ${text}`}${eol}`;
}

/** A chunked body: the body cut into chunks, each size in random hex case with leading zeros. */
const chunked = fc
  .record({
    body,
    cuts: fc.array(fc.nat(), { maxLength: 5 }),
    styles: fc.array(fc.record({ upper: fc.boolean(), zeros: fc.nat(3), ext: extension, eol }), { minLength: 7, maxLength: 7 }),
    trailers: fields,
    eol,
  })
  .map(({ body, cuts, styles, trailers, eol }) => {
    const sizes = cut(
      bytes(body),
      cuts.map((c) => c % (body.length + 1)),
    )
      .map((piece) => piece.length)
      .filter((n) => n > 0);
    let text = '';
    let at = 0;
    sizes.push(0);
    sizes.forEach((size, i) => {
      const style = styles[i % styles.length];
      const hex = '0'.repeat(style.zeros) + (style.upper ? size.toString(16).toUpperCase() : size.toString(16));
      text += `${hex}${style.ext}${style.eol}`;
      if (size > 0) text += `${body.slice(at, at + size)}${style.eol}`;
      at += size;
    });
    return { body, text: text + trailers.text + eol, trailers: trailers.parsed };
  });

/** Any response but a read-until-close one. */
const framed: fc.Arbitrary<Wire> = fc
  .record({
    prefix,
    infos: fc.array(informational, { maxLength: 2 }),
    version: fc.constantFrom('1.1', '1.1', '1.0', '1.2'),
    reason,
    fields,
    framingFirst: fc.boolean(),
    eol,
    kind: fc.constantFrom('length', 'length', 'chunked', 'chunked', 'head', 'no-content'),
    body,
    chunked,
    headLength: fc.oneof(
      fc.constant('Content-Length: 0'),
      fc.nat(1000).map((n) => `Content-Length: ${n}`),
      fc.constant('Transfer-Encoding: chunked'),
      fc.constant('Transfer-Encoding: gzip'),
    ),
    noContent: fc.record({
      status: fc.constantFrom(204, 304),
      framing: fc.constantFrom('', 'Content-Length: 7', 'Transfer-Encoding: chunked'),
    }),
  })
  .map((r) => {
    const events: Ev[] = [];
    let text = '';
    const marks: number[] = [];
    for (const info of r.infos) {
      text += statusLine('1.1', info.status, info.reason, info.eol) + info.fields.text + info.eol;
      marks.push(text.length);
      events.push({ type: 'informational', status: info.status, reason: info.reason, headers: info.fields.parsed });
    }
    let status = 200;
    let framing = '';
    let bodyText = '';
    let tail: Ev[] = [];
    switch (r.kind) {
      case 'length':
        framing = `Content-Length: ${r.body.length}`;
        bodyText = r.body;
        if (r.body.length > 0) tail = [{ type: 'data', data: r.body }];
        break;
      case 'chunked':
        framing = 'Transfer-Encoding: chunked';
        bodyText = r.chunked.text;
        if (r.chunked.body.length > 0) tail.push({ type: 'data', data: r.chunked.body });
        if (r.chunked.trailers.length > 0) tail.push({ type: 'trailers', headers: r.chunked.trailers });
        break;
      case 'head':
        framing = r.headLength;
        break;
      case 'no-content':
        status = r.noContent.status;
        framing = r.noContent.framing;
        break;
    }
    const framingField: Fields = framing === '' ? [] : [[framing.split(': ')[0], framing.split(': ')[1]]];
    const framingText = framing === '' ? '' : `${framing}${r.eol}`;
    const headText =
      statusLine(r.version, status, r.reason, r.eol) + (r.framingFirst ? framingText + r.fields.text : r.fields.text + framingText) + r.eol;
    const headers = r.framingFirst ? [...framingField, ...r.fields.parsed] : [...r.fields.parsed, ...framingField];
    text += headText;
    marks.push(text.length);
    const version = r.version === '1.0' ? '1.0' : '1.1';
    events.push({ type: 'head', status, reason: r.reason, version, headers }, ...tail, { type: 'end' });
    return {
      prefix: r.prefix,
      text: text + bodyText,
      headEnd: text.length,
      events,
      head: r.kind === 'head',
      untilClose: false,
      body: bodyText,
      marks,
    };
  });

/** A response whose body runs until the close. */
const untilClose: fc.Arbitrary<Wire> = fc.record({ prefix, version: fc.constantFrom('1.0', '1.1'), reason, fields, eol, body }).map((r) => {
  const headText = statusLine(r.version, 200, r.reason, r.eol) + r.fields.text + r.eol;
  const events: Ev[] = [{ type: 'head', status: 200, reason: r.reason, version: r.version as '1.0' | '1.1', headers: r.fields.parsed }];
  if (r.body.length > 0) events.push({ type: 'data', data: r.body });
  events.push({ type: 'end' });
  return {
    prefix: r.prefix,
    text: headText + r.body,
    headEnd: headText.length,
    events,
    head: false,
    untilClose: true,
    body: r.body,
    marks: [headText.length],
  };
});

const exchange = fc
  .tuple(fc.array(framed, { minLength: 1, maxLength: 4 }), fc.option(untilClose, { nil: undefined }))
  .map(([responses, last]) => (last === undefined ? responses : [...responses, last]));

function wireOf(responses: Wire[]): Buffer {
  return bytes(responses.map((r) => r.prefix + r.text).join(''));
}

/** Offsets into [0, length], from arbitrary naturals. */
const offsets = fc.array(fc.nat(), { maxLength: 12 });

/** Where to truncate: anywhere, or next to a response boundary or the end of a head. */
const truncation = fc.record({ nearMark: fc.boolean(), pick: fc.nat(), delta: fc.integer({ min: -2, max: 2 }) });

function truncationPoint(responses: Wire[], wire: Uint8Array, t: { nearMark: boolean; pick: number; delta: number }): number {
  if (!t.nearMark) return t.pick % (wire.length + 1);
  const marks: number[] = [];
  let start = 0;
  for (const r of responses) {
    const textStart = start + r.prefix.length;
    marks.push(start, textStart, ...r.marks.map((m) => textStart + m));
    start = textStart + r.text.length;
  }
  marks.push(start);
  const at = marks[t.pick % marks.length] + t.delta;
  return Math.max(0, Math.min(wire.length, at));
}

describe('ResponseParser properties', () => {
  it('yields the same events for a valid pipelined exchange however its bytes are cut', () => {
    fc.assert(
      fc.property(exchange, offsets, (responses, cuts) => {
        const wire = wireOf(responses);
        const heads = responses.map((r) => r.head);
        const expected = responses.flatMap((r) => r.events);
        const whole = parse(wire, { heads, finish: true });
        assert.equal(whole.error, undefined);
        assert.equal(whole.finished, true);
        assert.deepEqual(whole.events, expected);
        assert.equal(whole.headRequests, responses.length);
        for (const split of [cuts.map((c) => c % (wire.length + 1)), 'bytes' as const]) {
          const again = parse(wire, { heads, finish: true, split });
          assert.equal(again.error, undefined);
          assert.equal(again.finished, true);
          assert.deepEqual(again.events, whole.events);
          assert.equal(again.headRequests, responses.length);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never reports a truncated response as complete: finish() is true only between responses or for a read-until-close body', () => {
    fc.assert(
      fc.property(exchange, truncation, offsets, (responses, at, cuts) => {
        const wire = wireOf(responses);
        const length = truncationPoint(responses, wire, at);
        const heads = responses.map((r) => r.head);
        const r = parse(wire.subarray(0, length), { heads, finish: true, split: cuts.map((c) => c % (length + 1)) });
        assert.equal(r.error, undefined);

        // Where the cut falls: the events it must give, and whether finish() may say the end was clean.
        const expected: Ev[] = [];
        let start = 0;
        let clean = length === 0;
        let truncated = false;
        for (const response of responses) {
          const textStart = start + response.prefix.length;
          const end = textStart + response.text.length;
          if (length === start || length === textStart) clean = true;
          if (length >= end) {
            expected.push(...response.events);
            if (length === end) clean = true;
          } else if (response.untilClose && length >= textStart + response.headEnd) {
            // The close ends this body: what came of it is the whole body.
            const got = response.body.slice(0, length - textStart - response.headEnd);
            expected.push(response.events[0], ...(got === '' ? [] : [{ type: 'data', data: got } as Ev]), { type: 'end' });
            clean = true;
          } else if (length > start) {
            // Cut in the stray empty lines: clean unless between a CR and its LF.
            truncated = length > textStart || response.prefix.slice(0, length - start).endsWith('\r');
            clean = !truncated;
            // The cut response may only have a prefix of its events, its last data cut short, and no end.
            const partial = r.events.slice(expected.length);
            assert.ok(
              partial.every((event) => event.type !== 'end'),
              'no end for a truncated response',
            );
            partial.forEach((event, i) => {
              const want = response.events[i];
              if (event.type === 'data' && want.type === 'data' && i === partial.length - 1) {
                assert.ok(want.data.startsWith(event.data), 'the data is a prefix of the body');
              } else {
                assert.deepEqual(event, want);
              }
            });
            break;
          }
          start = end;
        }
        assert.equal(r.finished, clean, 'finish() says whether the cut was clean');
        assert.deepEqual(r.events.slice(0, expected.length), expected);
        if (!truncated) assert.equal(r.events.length, expected.length);
      }),
      { numRuns: 300 },
    );
  });
});

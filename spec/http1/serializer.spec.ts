import { of } from 'rxjs';
import { RequestError } from '../../lib/errors';
import { serializeRequest, type RequestInit } from '../../lib/http1/serializer';

const HOST = '127.0.0.1:8080';

function head(method: string, path: string, init?: RequestInit): string {
  return serializeRequest(method, path, init, HOST).head.toString('latin1');
}

function rejection(method: string, path: string, init?: RequestInit): string {
  try {
    serializeRequest(method, path, init, HOST);
  } catch (err) {
    expect(err).toBeInstanceOf(RequestError);
    return (err as Error).message;
  }
  fail('expected a RequestError');
  return '';
}

describe('serializeRequest', () => {
  describe('request line and Host', () => {
    it('writes the request line and adds Host when absent', () => {
      expect(head('GET', '/a?b=1')).toBe('GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n');
    });

    it("keeps the caller's Host instead of adding one", () => {
      expect(head('GET', '/', { headers: { host: 'example.test' } })).toBe('GET / HTTP/1.1\r\nhost: example.test\r\n\r\n');
    });

    it('accepts the asterisk form and an absolute URL as targets', () => {
      expect(head('OPTIONS', '*')).toContain('OPTIONS * HTTP/1.1\r\n');
      expect(head('GET', 'http://example.test/x')).toContain('GET http://example.test/x HTTP/1.1\r\n');
    });

    it('marks HEAD requests so their responses are read without a body', () => {
      expect(serializeRequest('HEAD', '/', undefined, HOST).isHead).toBeTrue();
      expect(serializeRequest('GET', '/', undefined, HOST).isHead).toBeFalse();
    });

    for (const method of ['', 'GE T', 'GET\r\n', 'G(T', 'GÉT']) {
      it(`rejects the method ${JSON.stringify(method)}, naming it`, () => {
        expect(rejection(method, '/')).toContain('invalid method');
      });
    }

    for (const path of ['', 'relative', '/a b', '/a\r\nX: y', '/a\u0000', '/a#frag', '/caf\u00e9', '/tab\there']) {
      it(`rejects the path ${JSON.stringify(path)}, naming it`, () => {
        expect(rejection('GET', path)).toContain('invalid path');
      });
    }
  });

  describe('header fields', () => {
    it('writes fields in the order given, with duplicates from arrays', () => {
      expect(head('GET', '/', { headers: { 'X-A': '1', accept: ['a/b', 'c/d'], 'X-N': 7 } })).toBe(
        'GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-A: 1\r\naccept: a/b\r\naccept: c/d\r\nX-N: 7\r\n\r\n',
      );
    });

    it('takes an iterable of pairs', () => {
      const fields = new Map<string, string>([
        ['x-one', '1'],
        ['x-two', '2'],
      ]);
      expect(head('GET', '/', { headers: fields })).toContain('x-one: 1\r\nx-two: 2\r\n');
    });

    it('trims surrounding whitespace from values', () => {
      expect(head('GET', '/', { headers: { 'x-a': ' \tpadded\t ' } })).toContain('x-a: padded\r\n');
    });

    it('keeps obs-text bytes as latin1', () => {
      const bytes = serializeRequest('GET', '/', { headers: { 'x-a': 'caf\u00e9' } }, HOST).head;
      expect(bytes.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBeTrue();
    });

    const badValues: Array<[string, string]> = [
      ['a\r\nInjected: yes', 'CR'],
      ['a\nb', 'LF'],
      ['a\u0000b', 'NUL'],
      ['a\u0007b', 'U+0007'],
      ['snow\u2603man', 'U+2603'],
    ];
    for (const [value, what] of badValues) {
      it(`rejects a value holding ${what}`, () => {
        const message = rejection('GET', '/', { headers: { 'x-bad': value } });
        expect(message).toContain('x-bad');
        expect(message).toContain(what);
      });
    }

    for (const name of ['', 'bad name', 'x:y', 'x\r\n', 'caf\u00e9']) {
      it(`rejects the header name ${JSON.stringify(name)}`, () => {
        expect(rejection('GET', '/', { headers: { [name]: 'v' } })).toContain('invalid header name');
      });
    }

    it('rejects values that are neither strings nor finite numbers', () => {
      expect(rejection('GET', '/', { headers: { 'x-a': NaN } })).toContain('x-a');
      expect(rejection('GET', '/', { headers: { 'x-a': null as unknown as string } })).toContain('x-a');
    });

    it('rejects a malformed pair', () => {
      expect(rejection('GET', '/', { headers: [['only-name']] as unknown as Array<[string, string]> })).toContain('pair');
    });

    it('refuses Transfer-Encoding and Expect, which httpio sets itself', () => {
      expect(rejection('POST', '/', { headers: { 'transfer-encoding': 'chunked' } })).toContain('Transfer-Encoding');
      expect(rejection('POST', '/', { headers: { expect: '100-continue' } })).toContain('expect100');
    });

    it('notes a caller Connection: close, so nothing follows the request on its socket', () => {
      expect(serializeRequest('GET', '/', { headers: { connection: 'Close' } }, HOST).closes).toBeTrue();
      expect(serializeRequest('GET', '/', { headers: { connection: 'keep-alive' } }, HOST).closes).toBeFalse();
    });
  });

  describe('known-size bodies', () => {
    it('sends a string as UTF-8 with its byte length', () => {
      const req = serializeRequest('POST', '/', { body: 'h\u00e9' }, HOST);
      expect(req.head.toString('latin1')).toContain('Content-Length: 3\r\n');
      expect(Buffer.from(req.body!).toString('utf8')).toBe('h\u00e9');
    });

    it('sends bytes as they are', () => {
      const bytes = new Uint8Array([0, 1, 2, 255]);
      const req = serializeRequest('PUT', '/', { body: bytes }, HOST);
      expect(req.head.toString('latin1')).toContain('Content-Length: 4\r\n');
      expect(req.body).toBe(bytes);
    });

    it('sends Content-Length: 0 for a POST without a body, and none for a GET', () => {
      expect(head('POST', '/')).toContain('Content-Length: 0\r\n');
      expect(head('GET', '/')).not.toContain('Content-Length');
    });

    it('accepts a Content-Length header that matches the body and writes it once', () => {
      const text = head('POST', '/', { body: 'abc', headers: { 'content-length': '3' } });
      expect(text.match(/content-length/gi)!.length).toBe(1);
    });

    it('rejects a Content-Length header that does not match the body', () => {
      expect(rejection('POST', '/', { body: 'abc', headers: { 'content-length': '4' } })).toContain('Content-Length');
    });

    it('rejects a contentLength option that does not match a known-size body', () => {
      expect(rejection('POST', '/', { body: 'abc', contentLength: 2 })).toContain('contentLength');
    });

    it('rejects a body of the wrong type', () => {
      expect(rejection('POST', '/', { body: 42 as unknown as string })).toContain('invalid body');
    });

    it('rejects a negative or fractional contentLength', () => {
      expect(rejection('POST', '/', { body: of('a'), contentLength: -1 })).toContain('contentLength');
      expect(rejection('POST', '/', { body: of('a'), contentLength: 1.5 })).toContain('contentLength');
    });
  });

  describe('streamed bodies', () => {
    it('are sent chunked without contentLength', () => {
      const req = serializeRequest('PUT', '/', { body: of('a') }, HOST);
      expect(req.head.toString('latin1')).toContain('Transfer-Encoding: chunked\r\n');
      expect(req.head.toString('latin1')).not.toContain('Content-Length');
      expect(req.streamLength).toBe(-1);
      expect(req.stream).not.toBeNull();
    });

    it('are sent with Content-Length when contentLength is given', () => {
      async function* source() {
        yield 'abc';
      }
      const req = serializeRequest('PUT', '/', { body: source(), contentLength: 3 }, HOST);
      expect(req.head.toString('latin1')).toContain('Content-Length: 3\r\n');
      expect(req.head.toString('latin1')).not.toContain('Transfer-Encoding');
      expect(req.streamLength).toBe(3);
    });

    it('reject a Content-Length header without contentLength', () => {
      expect(rejection('PUT', '/', { body: of('a'), headers: { 'content-length': '1' } })).toContain('Content-Length');
    });
  });

  describe('expect100', () => {
    it('adds Expect: 100-continue to a request with a body', () => {
      const req = serializeRequest('PUT', '/', { body: 'abc', expect100: true }, HOST);
      expect(req.head.toString('latin1')).toContain('Expect: 100-continue\r\n');
      expect(req.expect100).toBeTrue();
    });

    it('is ignored for a request without a body (RFC 9110 §10.1.1)', () => {
      for (const init of [{ expect100: true }, { expect100: true, body: '' }, { expect100: true, body: of<string>(), contentLength: 0 }]) {
        const req = serializeRequest('PUT', '/', init, HOST);
        expect(req.expect100).toBeFalse();
        expect(req.head.toString('latin1')).not.toContain('Expect');
      }
    });
  });
});

describe('serializeRequest for a request without init', () => {
  it('builds the head once and reuses it for the same host, method and path', () => {
    const a = serializeRequest('GET', '/same', undefined, 'h:1');
    const b = serializeRequest('GET', '/same', undefined, 'h:1');
    expect(b).toBe(a);
    expect(serializeRequest('GET', '/same', undefined, 'h:2')).not.toBe(a);
    expect(serializeRequest('HEAD', '/same', undefined, 'h:1')).not.toBe(a);
    expect(serializeRequest('GET', '/same', undefined, 'h:2').head.toString('latin1')).toBe('GET /same HTTP/1.1\r\nHost: h:2\r\n\r\n');
  });

  it('still refuses an invalid method or path every time', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => serializeRequest('GET', '/a b', undefined, 'h:1')).toThrowError(RequestError, /invalid path/);
      expect(() => serializeRequest('G T', '/', undefined, 'h:1')).toThrowError(RequestError, /invalid method/);
    }
  });
});

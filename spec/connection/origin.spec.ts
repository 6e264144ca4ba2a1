import { parseOrigin } from '../../lib/connection/origin';

describe('parseOrigin', () => {
  it('takes host and port, and builds Host without the default port', () => {
    expect(parseOrigin('http://127.0.0.1:8080')).toEqual(
      jasmine.objectContaining({
        endpoint: jasmine.objectContaining({ hostname: '127.0.0.1', port: 8080, tls: null }),
        host: '127.0.0.1:8080',
      }),
    );
    expect(parseOrigin('http://localhost/')).toEqual(
      jasmine.objectContaining({ endpoint: jasmine.objectContaining({ hostname: 'localhost', port: 80 }), host: 'localhost' }),
    );
  });

  it('strips the brackets of an IPv6 address for connecting, not for Host', () => {
    expect(parseOrigin(new URL('http://[::1]:81'))).toEqual(
      jasmine.objectContaining({ endpoint: jasmine.objectContaining({ hostname: '::1', port: 81 }), host: '[::1]:81' }),
    );
  });

  it('rejects what a connection cannot honour, saying what', () => {
    expect(() => parseOrigin('not a url')).toThrowError(TypeError, /invalid URL/);
    expect(() => parseOrigin('ftp://x')).toThrowError(TypeError, /protocol/);
    expect(() => parseOrigin('http://u:p@x')).toThrowError(TypeError, /credentials/);
    expect(() => parseOrigin('http://x/api')).toThrowError(TypeError, /origin/);
    expect(() => parseOrigin('http://x/?q')).toThrowError(TypeError, /origin/);
  });

  it("takes https: with port 443 by default and the caller's TLS settings", () => {
    const ca = 'PEM';
    const secure = parseOrigin('https://store.example', { tls: { ca } });
    expect(secure.endpoint.port).toBe(443);
    expect(secure.endpoint.tls).toEqual({ ca });
    expect(secure.host).toBe('store.example');
    expect(parseOrigin('https://store.example:8443').endpoint.tls).toEqual({});
    expect(parseOrigin('https://store.example:8443').host).toBe('store.example:8443');
    expect(parseOrigin('http://store.example', { tls: { ca } }).endpoint.tls).toBeNull();
  });

  it('reads a proxy URL, decoding its credentials into Proxy-Authorization', () => {
    const { proxy } = parseOrigin('http://x', { proxy: 'http://al%69ce:p%40ss%3Aw@127.0.0.1:3128' }).endpoint;
    expect(proxy?.hostname).toBe('127.0.0.1');
    expect(proxy?.port).toBe(3128);
    expect(proxy?.authorization).toBe(`Basic ${Buffer.from('alice:p@ss:w').toString('base64')}`);
    expect(proxy?.label).toBe('127.0.0.1:3128');
    expect(parseOrigin('http://x', { proxy: 'http://[::1]' }).endpoint.proxy).toEqual(
      jasmine.objectContaining({ hostname: '::1', port: 80, authorization: null }),
    );
  });

  it('rejects a proxy it cannot use, naming the option', () => {
    expect(() => parseOrigin('http://x', { proxy: 'not a url' })).toThrowError(TypeError, /option proxy/);
    expect(() => parseOrigin('http://x', { proxy: 'https://p:443' })).toThrowError(TypeError, /option proxy must be an http: URL/);
    expect(() => parseOrigin('http://x', { proxy: 'socks5://p:1080' })).toThrowError(TypeError, /option proxy/);
    expect(() => parseOrigin('http://x', { proxy: 'http://p:3128/path' })).toThrowError(TypeError, /option proxy/);
    // A credential never reaches a message, even of an unparsable URL.
    expect(() => parseOrigin('http://x', { proxy: 'http://alice:s3cret@proxy.internal:99999' })).toThrowMatching(
      (e: Error) => e instanceof TypeError && !e.message.includes('s3cret') && e.message.includes('option proxy'),
    );
  });
});

import { DEFAULT_OPTIONS, resolveOptions } from '../lib/options';
import { parseOrigin } from '../lib/connection/origin';

describe('resolveOptions', () => {
  it('fills every default', () => {
    expect(resolveOptions({})).toEqual(DEFAULT_OPTIONS);
    expect(resolveOptions({ maxPipelined: 3 }).maxPipelined).toBe(3);
    expect(resolveOptions({ timeout: undefined }).timeout).toBe(DEFAULT_OPTIONS.timeout);
  });

  it('has bounded defaults', () => {
    expect(DEFAULT_OPTIONS.maxPipelined).toBeGreaterThan(1);
    expect(Number.isFinite(DEFAULT_OPTIONS.maxPipelined)).toBeTrue();
    expect(DEFAULT_OPTIONS.maxHeaderSize).toBe(64 * 1024);
  });

  it('rejects an unknown option by name', () => {
    expect(() => resolveOptions({ maxPipeline: 2 } as never)).toThrowError(TypeError, /maxPipeline/);
  });

  it('rejects out-of-range and non-numeric values, naming the option', () => {
    expect(() => resolveOptions({ maxPipelined: 0 })).toThrowError(RangeError, /maxPipelined/);
    expect(() => resolveOptions({ maxPipelined: 1.5 })).toThrowError(RangeError, /maxPipelined/);
    expect(() => resolveOptions({ timeout: -1 })).toThrowError(RangeError, /timeout/);
    expect(() => resolveOptions({ timeout: 2 ** 40 })).toThrowError(RangeError, /timeout/);
    expect(() => resolveOptions({ connectTimeout: '5' as never })).toThrowError(TypeError, /connectTimeout/);
    expect(() => resolveOptions({ maxHeaderSize: Infinity })).toThrowError(RangeError, /maxHeaderSize/);
    expect(() => resolveOptions({ maxResponseSize: -5 })).toThrowError(RangeError, /maxResponseSize/);
  });
});

describe('parseOrigin', () => {
  it('takes host and port, and builds Host without the default port', () => {
    expect(parseOrigin('http://127.0.0.1:8080')).toEqual({ endpoint: { hostname: '127.0.0.1', port: 8080 }, host: '127.0.0.1:8080' });
    expect(parseOrigin('http://localhost/')).toEqual({ endpoint: { hostname: 'localhost', port: 80 }, host: 'localhost' });
  });

  it('strips the brackets of an IPv6 address for connecting, not for Host', () => {
    expect(parseOrigin(new URL('http://[::1]:81'))).toEqual({ endpoint: { hostname: '::1', port: 81 }, host: '[::1]:81' });
  });

  it('rejects what a connection cannot honour, saying what', () => {
    expect(() => parseOrigin('not a url')).toThrowError(TypeError, /invalid URL/);
    expect(() => parseOrigin('ftp://x')).toThrowError(TypeError, /protocol/);
    expect(() => parseOrigin('https://x')).toThrowError(TypeError, /https/);
    expect(() => parseOrigin('http://u:p@x')).toThrowError(TypeError, /credentials/);
    expect(() => parseOrigin('http://x/api')).toThrowError(TypeError, /origin/);
    expect(() => parseOrigin('http://x/?q')).toThrowError(TypeError, /origin/);
  });
});

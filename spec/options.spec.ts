import { DEFAULT_OPTIONS, resolveOptions } from '../lib/options';

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

  it('takes the transport options and checks their types, naming the option', () => {
    const tls = { ca: 'PEM', rejectUnauthorized: true, minVersion: 'TLSv1.2' as const, checkServerIdentity: () => undefined };
    expect(resolveOptions({ tls, proxy: 'http://p:3128', socketPath: undefined }).tls).toBe(tls);
    expect(() => resolveOptions({ tls: 'yes' as never })).toThrowError(TypeError, /option tls must be an object/);
    expect(() => resolveOptions({ tls: { rejectUnauthorised: false } as never })).toThrowError(TypeError, /tls\.rejectUnauthorised/);
    expect(() => resolveOptions({ tls: { rejectUnauthorized: 'no' } as never })).toThrowError(TypeError, /tls\.rejectUnauthorized/);
    expect(() => resolveOptions({ tls: { minVersion: 'TLSv9' } as never })).toThrowError(TypeError, /tls\.minVersion/);
    expect(() => resolveOptions({ tls: { ca: 42 } as never })).toThrowError(TypeError, /tls\.ca/);
    expect(() => resolveOptions({ proxy: 3128 as never })).toThrowError(TypeError, /option proxy/);
    expect(() => resolveOptions({ socketPath: '' })).toThrowError(TypeError, /socketPath/);
    expect(() => resolveOptions({ socketPath: '/s', proxy: 'http://p' })).toThrowError(TypeError, /socketPath and proxy/);
  });
});

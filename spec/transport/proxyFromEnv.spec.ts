import { proxyFromEnv } from '../../lib/transport/proxyFromEnv';

describe('proxyFromEnv', () => {
  it('takes HTTPS_PROXY for https: and HTTP_PROXY for http:', () => {
    const env = { HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'http://plain:3128' };
    expect(proxyFromEnv('https://store.example', env)).toBe('http://secure:3128');
    expect(proxyFromEnv('http://store.example', env)).toBe('http://plain:3128');
  });

  it('prefers the lower-case names, and ignores empty ones', () => {
    expect(proxyFromEnv('http://x.example', { http_proxy: 'http://lower:1', HTTP_PROXY: 'http://upper:2' })).toBe('http://lower:1');
    expect(proxyFromEnv('http://x.example', { http_proxy: ' ', HTTP_PROXY: 'http://upper:2' })).toBe('http://upper:2');
  });

  it('falls back to the HTTP proxy for https: URLs, not the other way round', () => {
    expect(proxyFromEnv('https://x.example', { HTTP_PROXY: 'http://plain:3128' })).toBe('http://plain:3128');
    expect(proxyFromEnv('http://x.example', { HTTPS_PROXY: 'http://secure:3128' })).toBeUndefined();
  });

  it('returns undefined with no proxy set, and adds http:// to a bare host:port', () => {
    expect(proxyFromEnv('https://x.example', {})).toBeUndefined();
    expect(proxyFromEnv('https://x.example', { HTTPS_PROXY: 'proxy.internal:3128' })).toBe('http://proxy.internal:3128');
  });

  it('bypasses hosts NO_PROXY names: domains with their subdomains, ports, IPs and *', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'internal.example, .corp.example *.lan,localhost:8443,10.0.0.7,[::1]' };
    expect(proxyFromEnv('https://internal.example', env)).toBeUndefined();
    expect(proxyFromEnv('https://api.internal.example', env)).toBeUndefined();
    expect(proxyFromEnv('https://corp.example', env)).toBeUndefined();
    expect(proxyFromEnv('https://a.b.corp.example', env)).toBeUndefined();
    expect(proxyFromEnv('https://printer.lan', env)).toBeUndefined();
    expect(proxyFromEnv('https://localhost:8443', env)).toBeUndefined();
    expect(proxyFromEnv('https://localhost', env)).toBe('http://p:1');
    expect(proxyFromEnv('https://10.0.0.7', env)).toBeUndefined();
    expect(proxyFromEnv('https://10.0.0.70', env)).toBe('http://p:1');
    expect(proxyFromEnv('https://[::1]:9', env)).toBeUndefined();
    expect(proxyFromEnv('https://notinternal.example', env)).toBe('http://p:1');
    expect(proxyFromEnv('https://x.example', { HTTPS_PROXY: 'http://p:1', no_proxy: '*' })).toBeUndefined();
  });

  it('reads process.env by default', () => {
    const names = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY'];
    const saved = names.map((name) => [name, process.env[name]] as const);
    for (const name of names) delete process.env[name];
    process.env.HTTPS_PROXY = 'http://from-env:3128';
    try {
      expect(proxyFromEnv('https://x.example')).toBe('http://from-env:3128');
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

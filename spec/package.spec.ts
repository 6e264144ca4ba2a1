import * as path from 'node:path';
import { firstValueFrom } from 'rxjs';
import { ScriptServer, response } from './support/script-server';

// Users load the built package by its root, as require('httpio') does after
// `npm ci`: this checks the package.json entry points and the dist/ build.
const ROOT = path.resolve(__dirname, '..');

describe('the built package', () => {
  it('loads by its root and exposes the public names', () => {
    const httpio = require(ROOT);
    for (const name of ['HttpConnection', 'HttpHeaders', 'HttpResponse', 'readAll', 'text', 'json', 'writeTo', 'proxyFromEnv']) {
      expect(typeof httpio[name])
        .withContext(name)
        .toBe('function');
    }
    for (const name of [
      'HttpioError',
      'ConnectionClosed',
      'InvalidResponse',
      'UnsupportedResponse',
      'RequestError',
      'ConnectError',
      'ResponseTimeout',
    ]) {
      expect(new httpio[name]('x', { sent: true }) instanceof httpio.HttpioError)
        .withContext(name)
        .toBeTrue();
    }
    expect(require.resolve(ROOT)).toBe(path.join(ROOT, 'dist', 'index.js'));
  });

  it('ships type declarations next to the code', () => {
    const pkg = require(path.join(ROOT, 'package.json'));
    expect(pkg.types).toBe('dist/index.d.ts');
    expect(() => require.resolve(path.join(ROOT, pkg.types))).not.toThrow();
  });

  it('fetches over a connection made from the built code', async () => {
    const server = await ScriptServer.respondEach((req) => response(200, `built ${req.path}`));
    const { HttpConnection } = require(ROOT);
    const conn = new HttpConnection(server.url);
    try {
      const res: { text(): string } = await firstValueFrom(conn.fetch('GET', '/x'));
      expect(res.text()).toBe('built /x');
    } finally {
      conn.destroy();
      await server.close();
    }
  });
});

import { configure, useServerTestBed } from './testbed'; // first: it loads Angular's JIT compiler
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HttpBackend, HttpClient, provideHttpClient } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { ScriptServer, response } from '../support/script-server';

// Users load the adapter as `require('httpio/angular')`. From inside the
// package, Node resolves that name through package.json "exports" by
// self-reference, so this checks the "./angular" entry and the dist/ build
// (npm test builds first), not lib/.
const ROOT = path.resolve(__dirname, '../..');

describe('the built httpio/angular entry point', () => {
  useServerTestBed();

  it('resolves through package.json "exports" to dist/, with type declarations', () => {
    expect(require.resolve('httpio/angular')).toBe(path.join(ROOT, 'dist', 'angular', 'index.js'));
    const entry = require(path.join(ROOT, 'package.json')).exports['./angular'];
    expect(fs.existsSync(path.join(ROOT, entry.types)))
      .withContext(entry.types)
      .toBeTrue();
  });

  it("provides a working backend that shares the root entry point's classes", async () => {
    const ng = require('httpio/angular');
    const httpio = require('httpio');
    const server = await ScriptServer.respondEach((req) => response(200, `built ${req.path}`));
    try {
      configure([provideHttpClient(), ng.provideHttpioBackend()]);
      const backend = TestBed.inject(HttpBackend) as unknown as { agent: unknown };
      expect(backend instanceof ng.HttpioBackend).toBeTrue();
      // One copy of httpio: errors and agents from the adapter are the root's.
      expect(backend.agent instanceof httpio.HttpAgent).toBeTrue();
      const text = await firstValueFrom(TestBed.inject(HttpClient).get(`${server.url}/x`, { responseType: 'text' }));
      expect(text).toBe('built /x');
    } finally {
      TestBed.resetTestingModule();
      await server.close();
    }
  });
});

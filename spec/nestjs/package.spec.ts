import * as fs from 'node:fs';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { ScriptServer, response } from '../support/script-server';

// Users load the adapter as `require('httpio/nestjs')`. From inside the
// package, Node resolves that name through package.json "exports" by
// self-reference, so this checks the "./nestjs" entry and the dist/ build
// (npm test builds first), not lib/.
const ROOT = path.resolve(__dirname, '../..');

describe('the built httpio/nestjs entry point', () => {
  it('resolves through package.json "exports" to dist/, with type declarations', () => {
    expect(require.resolve('httpio/nestjs')).toBe(path.join(ROOT, 'dist', 'nestjs', 'index.js'));
    const entry = require(path.join(ROOT, 'package.json')).exports['./nestjs'];
    expect(fs.existsSync(path.join(ROOT, entry.types)))
      .withContext(entry.types)
      .toBeTrue();
  });

  it("exports the module and the service, sharing the root entry point's classes", async () => {
    const nest = require('httpio/nestjs');
    const httpio = require('httpio');
    expect(typeof nest.HttpioModule.forRoot).toBe('function');
    expect(typeof nest.HttpioModule.forRootAsync).toBe('function');

    const server = await ScriptServer.respondEach((req) => response(200, `built ${req.path}`));
    const moduleRef = await Test.createTestingModule({ imports: [nest.HttpioModule.forRoot({})] }).compile();
    try {
      const service = moduleRef.get(nest.HttpioService);
      // One copy of httpio: errors and agents from the adapter are the root's.
      expect(service.agent instanceof httpio.HttpAgent).toBeTrue();
      const res: { text(): string } = await firstValueFrom(service.fetch('GET', `${server.url}/x`));
      expect(res.text()).toBe('built /x');
    } finally {
      await moduleRef.close();
      await server.close();
    }
  });
});

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

// The README's Quick start is what a new user pastes first: it must compile
// in a CommonJS TypeScript project and in an ESM one, against the built
// package as `npm install httpio rxjs` would give it.

const ROOT = path.resolve(__dirname, '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const run = promisify(execFile);

function quickStart(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error('README.md has no ts block under "## Quick start"');
  return match[1];
}

describe('the README Quick start', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'httpio-readme-'));
    const modules = path.join(dir, 'node_modules');
    fs.mkdirSync(path.join(modules, '@types'), { recursive: true });
    // What `npm install httpio rxjs` leaves: the package (built) and its peer.
    fs.symlinkSync(ROOT, path.join(modules, 'httpio'), 'dir');
    fs.symlinkSync(path.join(ROOT, 'node_modules', 'rxjs'), path.join(modules, 'rxjs'), 'dir');
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(modules, '@types', 'node'), 'dir');
    const code = quickStart();
    fs.writeFileSync(path.join(dir, 'quick.ts'), code);
    fs.writeFileSync(path.join(dir, 'quick.mts'), code);
    const base = { target: 'ES2022', strict: true, noEmit: true, types: ['node'], skipLibCheck: true };
    fs.writeFileSync(
      path.join(dir, 'tsconfig.cjs.json'),
      JSON.stringify({ compilerOptions: { ...base, module: 'commonjs', moduleResolution: 'node10' }, files: ['quick.ts'] }),
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.esm.json'),
      JSON.stringify({ compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['quick.mts'] }),
    );
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is a real program that uses httpio', () => {
    const code = quickStart();
    expect(code).toContain("from 'httpio'");
    expect(code).toContain('new HttpConnection(');
  });

  for (const kind of ['cjs', 'esm']) {
    it(`compiles as ${kind === 'cjs' ? 'CommonJS' : 'ESM'}`, async () => {
      const result = await run(process.execPath, [TSC, '-p', path.join(dir, `tsconfig.${kind}.json`)], { cwd: dir }).then(
        () => '',
        (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
      );
      expect(result).toBe('');
    }, 60_000);
  }
});

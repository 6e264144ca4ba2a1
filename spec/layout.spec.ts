import * as fs from 'node:fs';
import * as path from 'node:path';

// The folders of lib/ are layers (DESIGN.md): each may import only those
// below it. This spec reads every import of every file and holds them to it.

const LIB = path.resolve(__dirname, '../lib');

/** Folder → the folders it may import from ('' is the basics at lib/ root). */
const ALLOWED: Record<string, readonly string[]> = {
  '': [''],
  http1: ['', 'http1'],
  transport: ['', 'transport', 'http1'],
  operators: ['', 'operators'],
  connection: ['', 'connection', 'http1', 'transport', 'operators'],
  // A folder uses only those below it (DESIGN.md); the pool reaches past
  // connection/ for request types and readAll().
  pool: ['', 'pool', 'connection', 'operators', 'http1', 'transport'],
  // The adapters and the bin use only the public surface, as any user would.
  cli: ['index', 'cli'],
  nestjs: ['index', 'nestjs'],
  angular: ['index', 'angular'],
};

/** Packages a layer may not load at run time (type-only imports are free). */
const FORBIDDEN_AT_RUN_TIME: Record<string, readonly string[]> = {
  http1: ['rxjs', 'node:net', 'node:tls', 'net', 'tls'],
};

interface Import {
  readonly file: string;
  readonly target: string;
  readonly typeOnly: boolean;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern = /^(import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms;
  for (const match of text.matchAll(pattern)) found.push({ file, target: match[3], typeOnly: match[2] !== undefined });
  for (const match of text.matchAll(/require\('([^']+)'\)/g)) found.push({ file, target: match[1], typeOnly: false });
  return found;
}

/** The layer of a file or of a resolved import: its first folder under lib/, '' for the root. */
function layerOf(absolute: string): string {
  const relative = path.relative(LIB, absolute);
  const parts = relative.split(path.sep);
  if (parts.length === 1) return parts[0].replace(/\.ts$/, '') === 'index' ? 'index' : '';
  return parts[0];
}

describe('the layout of lib/', () => {
  const files = sources(LIB);

  it('has files in it (the spec reads the real tree)', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.some((f) => f.includes(`${path.sep}http1${path.sep}`))).toBe(true);
  });

  it('imports only from the layers below each folder', () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      const allowed = ALLOWED[from === 'index' ? '' : from];
      if (allowed === undefined) {
        violations.push(`${path.relative(LIB, file)}: folder ${from} is not in DESIGN.md`);
        continue;
      }
      for (const { target } of importsOf(file)) {
        if (!target.startsWith('.')) continue;
        const to = layerOf(path.resolve(path.dirname(file), target));
        // The public surface gathers everything; adapters use only it.
        if (from === 'index') continue;
        const ok = allowed.includes(to) || (to === 'index' && allowed.includes('index'));
        if (!ok) violations.push(`${path.relative(LIB, file)} imports ${target} (layer ${to || 'root'})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps RxJS and sockets out of the protocol layer at run time', () => {
    const violations: string[] = [];
    for (const file of files) {
      const forbidden = FORBIDDEN_AT_RUN_TIME[layerOf(file)] ?? [];
      for (const { target, typeOnly } of importsOf(file)) {
        if (!typeOnly && forbidden.includes(target)) violations.push(`${path.relative(LIB, file)} loads ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps every file under about 400 lines', () => {
    const long = files
      .map((file) => ({ file: path.relative(LIB, file), lines: fs.readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 420);
    expect(long).toEqual([]);
  });
});

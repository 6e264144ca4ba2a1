// Profiles the httpio client process of bench/run.js in the given
// scenarios, with V8's CPU profiler (the one node --cpu-prof runs, started
// through node:inspector after the warm-up, so that start-up and module
// loading are not in it), and prints where its CPU goes: by area (httpio's lib/,
// RxJS, Node, GC), then the costliest lines and functions of lib/, mapped
// back from dist/ through the source maps. The .cpuprofile files stay in
// bench/results/profiles/ for Chrome DevTools or speedscope.
// `cancel` profiles bench/cancel.js, the whole process (node --cpu-prof).
//   npm run build && node bench/profile.js [small mixed bulk cancel] [--client httpio] [--top 15] [--dist DIR]
'use strict';
const { fork } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { SourceMap } = require('node:module');
const { distHash } = require('./report');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args.splice(i, 2)[1];
};
const client = option('--client', 'httpio');
const TOP = Number(option('--top', 15));
// --dist DIR: profile that copy of dist/ (run.js leaves its own in bench/results/dist-snapshot).
const given = option('--dist', null);
const scenarios = args.length > 0 ? args : ['small', 'mixed', 'bulk'];
const root = path.join(__dirname, '..');
const outDir = path.join(__dirname, 'results', 'profiles');
const snapshot = given ? path.resolve(given) : path.join(__dirname, 'results', 'dist-profiled');
const children = new Set();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function run(script, argv, execArgv) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, script), argv, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    let answer = null;
    child.on('message', (m) => (answer ??= m));
    child.on('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      if (answer?.error) reject(new Error(answer.error));
      else resolve(answer);
    });
  });
}

// --- Source maps: dist/*.js positions to lib/*.ts lines ------------------------------------

const maps = new Map();
function original(url, line0, column0) {
  const file = url.startsWith('file://') ? new URL(url).pathname : url;
  if (!isLib(url)) return null;
  if (!maps.has(file)) {
    let map = null;
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
    } catch {
      // No map: report the dist position.
    }
    maps.set(file, map);
  }
  const map = maps.get(file);
  const entry = map?.findEntry(line0, column0);
  if (!entry || !entry.originalSource) return `${path.relative(root, file)}:${line0 + 1}`;
  // The maps name ../../lib/x.ts from dist/; from a copy elsewhere, only the lib/ part holds.
  const source = entry.originalSource.replace(/^(\.\.\/)+/, '');
  return `${source}:${entry.originalLine + 1}`;
}

/** A frame of httpio's build (not of a dependency's dist/). */
const isLib = (url) => url.includes(`${root}/dist/`) || url.includes(`${snapshot}/`);

function area(url, name) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)' || name === '(root)') return 'V8/native (program)';
  if (isLib(url)) return 'httpio (lib/)';
  if (url.includes('node_modules/rxjs')) return 'RxJS';
  if (url.includes('/bench/')) return 'bench harness';
  if (url.startsWith('node:') || url === '') return 'Node.js (net, streams, buffers, natives)';
  return 'other';
}

function analyse(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample time per node: the delta after each sample is that sample's node's.
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
  }
  let total = 0;
  const areas = {};
  const lines = new Map(); // lib line -> µs (self, by position ticks)
  const funcsSelf = new Map();
  const funcsTotal = new Map();
  const charged = new Map();
  const others = new Map(); // Node, RxJS, GC… by function
  for (const [id, us] of selfUs) {
    const n = nodes.get(id);
    const { url, functionName, lineNumber, columnNumber } = n.callFrame;
    const a = area(url, functionName);
    if (a === 'idle') continue;
    total += us;
    areas[a] = (areas[a] ?? 0) + us;
    if (a === 'httpio (lib/)') {
      const fn = `${functionName || '(anonymous)'} ${original(url, lineNumber, columnNumber)}`;
      funcsSelf.set(fn, (funcsSelf.get(fn) ?? 0) + us);
      const ticks = n.positionTicks ?? [];
      const sum = ticks.reduce((s, t) => s + t.ticks, 0);
      for (const t of ticks) {
        const where = original(url, t.line - 1, 0) ?? `${url}:${t.line}`;
        lines.set(where, (lines.get(where) ?? 0) + (us * t.ticks) / sum);
      }
    }
    if (a !== 'httpio (lib/)') {
      const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(`file://${root}/`, '')}:${lineNumber + 1}`;
      others.set(fn, (others.get(fn) ?? 0) + us);
    }
    // Charged: the nearest lib/ function on the stack gets this sample, its own or of the Node/RxJS code it called.
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = nodes.get(at).callFrame;
      if (!isLib(f.url)) continue;
      const fn = `${f.functionName || '(anonymous)'} ${original(f.url, f.lineNumber, f.columnNumber)}`;
      charged.set(fn, (charged.get(fn) ?? 0) + us);
      break;
    }
    // Inclusive: every distinct lib/ function on the stack gets this sample.
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = nodes.get(at).callFrame;
      if (!isLib(f.url)) continue;
      const fn = `${f.functionName || '(anonymous)'} ${original(f.url, f.lineNumber, f.columnNumber)}`;
      if (seen.has(fn)) continue;
      seen.add(fn);
      funcsTotal.set(fn, (funcsTotal.get(fn) ?? 0) + us);
    }
  }
  return { total, areas, lines, funcsSelf, funcsTotal, charged, others };
}

const pct = (us, total) => `${((100 * us) / total).toFixed(1)}%`.padStart(6);
function top(map, total, n, print) {
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) print(`  ${pct(us, total)}  ${k}`);
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const server = fork(path.join(__dirname, 'server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(server);
  const port = await new Promise((resolve) => server.once('message', (m) => resolve(m.port)));
  const origin = `http://127.0.0.1:${port}`;
  // As run.js does: one copy of dist/ for the whole profile, whatever rebuilds it meanwhile.
  if (!given) {
    fs.rmSync(snapshot, { recursive: true, force: true });
    fs.cpSync(path.join(root, 'dist'), snapshot, { recursive: true });
  }
  process.env.BENCH_HTTPIO = snapshot;
  process.stdout.write(`profiling the build ${distHash(snapshot)} (lines are lib/ as it was built)\n`);
  try {
    for (const scenario of scenarios) {
      const target = path.join(outDir, `${client}-${scenario}.cpuprofile`);
      let answer;
      if (scenario === 'cancel') {
        // The whole process, with node --cpu-prof: it is all subscribing and unsubscribing.
        const dir = path.join(outDir, 'cancel-tmp');
        fs.rmSync(dir, { recursive: true, force: true });
        answer = await run(
          'cancel.js',
          [JSON.stringify({ origin, count: 100_000 })],
          ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'],
        );
        fs.renameSync(
          path.join(
            dir,
            fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile')),
          ),
          target,
        );
        fs.rmSync(dir, { recursive: true, force: true });
      } else {
        answer = await run('client.js', [JSON.stringify({ client, scenario, origin, profile: target })], []);
      }
      const r = answer.result;
      const { total, areas, lines, funcsSelf, funcsTotal, charged, others } = analyse(JSON.parse(fs.readFileSync(target, 'utf8')));
      const print = (s) => process.stdout.write(`${s}\n`);
      const what =
        scenario === 'cancel' ? 'the whole process' : `${r.count} measured requests in ${r.seconds.toFixed(2)} s (profiled, so slower)`;
      print(`\n## ${client}, ${scenario}: ${what}, ${(total / 1000).toFixed(0)} ms of samples`);
      print(`   profile: ${path.relative(process.cwd(), target)}`);
      print('by area (self time):');
      for (const [a, us] of Object.entries(areas).sort((x, y) => y[1] - x[1])) print(`  ${pct(us, total)}  ${a}`);
      print(`lib/ lines, self time (top ${TOP}):`);
      top(lines, total, TOP, print);
      print(`lib/ functions, self time (top ${TOP}):`);
      top(funcsSelf, total, TOP, print);
      print(`outside lib/ (Node, RxJS, GC), self time (top ${TOP}):`);
      top(others, total, TOP, print);
      print(`lib/ functions, charged: their own time and that of the Node/RxJS code they call, not other lib/ functions (top ${TOP}):`);
      top(charged, total, TOP, print);
      print(`lib/ functions, inclusive time: all that runs under them, Node and RxJS included (top ${TOP}):`);
      top(funcsTotal, total, TOP, print);
    }
  } finally {
    server.disconnect();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 1;
});

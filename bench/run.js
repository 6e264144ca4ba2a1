// httpio against undici 7, node:http, fetch and a raw socket, on one
// connection to a canned server in another process. Each client runs in a
// process of its own (bench/client.js), one after the other, the order
// rotated each round; the numbers are medians over the rounds. The report
// goes to stderr as tables, and as JSON to bench/results/ (and to stdout
// with --json, or to a file with --json=FILE). Run: npm run bench
//
//   node bench/run.js [--quick] [--json[=FILE]] [--rounds N] [--scale X]
//                     [--only small,latency,...] [--clients httpio,raw,...]
//
// Five rounds by default (three for linearity). --quick: one round, a
// tenth of the requests, small cancel/linearity sizes (a smoke run, under a
// minute). Everything is on 127.0.0.1; every child
// process is killed if this one ends early. The pieces:
//   scenarios.js  what is measured, and which clients take part
//   server.js     the peer: raw TCP, pre-built responses, pipelining-aware
//   client.js     one client process; clients.js, raw.js: the clients
//   cancel.js     cancellation (httpio); linearity.js: byte-at-a-time parsing
//   report.js     medians, ratios, targets, the Markdown tables
//   render.js     docs/performance.svg from the JSON; profile.js: CPU profiles
// What each scenario means: docs/performance.md.
'use strict';
const { fork, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SCENARIOS, CLIENTS, WINDOW, CONCURRENCY, clientsFor } = require('./scenarios');
const { median, summarize, printTables, distHash } = require('./report');

const EXTRA = ['cancel', 'linearity'];

function parseArgs(argv) {
  const args = { quick: false, json: null, rounds: null, scale: null, only: null, clients: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') args.quick = true;
    else if (flag === '--json') args.json = inline ?? '-';
    else if (flag === '--rounds') args.rounds = Number(value());
    else if (flag === '--scale') args.scale = Number(value());
    else if (flag === '--only') args.only = value().split(',');
    else if (flag === '--clients') args.clients = value().split(',');
    else throw new Error(`unknown argument ${argv[i]} (see the top of bench/run.js)`);
  }
  const known = [...Object.keys(SCENARIOS), ...EXTRA];
  for (const name of args.only ?? []) if (!known.includes(name)) throw new Error(`unknown scenario ${name}: ${known.join(', ')}`);
  for (const name of args.clients ?? []) if (!CLIENTS[name]) throw new Error(`unknown client ${name}: ${Object.keys(CLIENTS).join(', ')}`);
  return args;
}

const log = (line) => process.stderr.write(`${line}\n`);

// --- Child processes: all killed when this one ends ------------------------------------

const children = new Set();

function killChildren() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killChildren();
    process.exit(130);
  });
}

/** Forks `script` with one JSON argument; resolves with its { result } or { error } message, within `ms`. */
function runChild(script, spec, ms, execArgv = []) {
  return new Promise((resolve) => {
    const child = fork(path.join(__dirname, script), [JSON.stringify(spec)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_CLIENT_MAX_MS: String(ms) },
    });
    children.add(child);
    let answer = null;
    const timer = setTimeout(() => {
      answer ??= { error: `no answer within ${ms} ms` };
      child.kill('SIGKILL');
    }, ms + 5_000);
    child.on('message', (message) => (answer ??= message));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve(answer ?? { error: `exited (${signal ?? code}) without an answer` });
    });
  });
}

async function startServer() {
  const server = fork(path.join(__dirname, 'server.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(server);
  const port = await new Promise((resolve, reject) => {
    server.once('message', (m) => resolve(m.port));
    server.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
  });
  return { server, origin: `http://127.0.0.1:${port}` };
}

// --- The machine and the code measured ----------------------------------------------------

function machine() {
  const cpuModel = (fs.readFileSync('/proc/cpuinfo', 'latin1').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model;
  const git = (args) => {
    try {
      return execFileSync('git', args, { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  return {
    node: process.version,
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpu: cpuModel,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    undici: require('undici/package.json').version,
    bundledUndici: process.versions.undici,
    rxjs: require('rxjs/package.json').version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    libChanged: (git(['status', '--porcelain', '--', 'lib']) ?? '').split('\n').filter(Boolean).length,
    distSha256: distHash(),
  };
}

// --- The run ------------------------------------------------------------------------------

async function runThroughput(origin, name, clients, rounds, scale) {
  const samples = Object.fromEntries(clients.map((c) => [c, []]));
  const errors = [];
  for (let round = 0; round < rounds; round++) {
    const order = clients.map((_, i) => clients[(i + round) % clients.length]);
    for (const client of order) {
      const load = os.loadavg()[0];
      const answer = await runChild('client.js', { client, scenario: name, origin, scale }, 120_000);
      if (answer.error) {
        errors.push({ client, round, error: answer.error });
        log(`  [${name} ${round + 1}/${rounds}] ${client}: FAILED ${answer.error.split('\n')[0]}`);
        continue;
      }
      const r = answer.result;
      r.load = load;
      samples[client].push(r);
      const unit = SCENARIOS[name].unit;
      const rate =
        unit === 'MiB'
          ? `${((r.count * SCENARIOS[name].mib) / r.seconds).toFixed(0)} MiB/s`
          : `${Math.round(r.count / r.seconds).toLocaleString('en')} req/s`;
      log(
        `  [${name} ${round + 1}/${rounds}] ${client.padEnd(18)} ${rate.padStart(13)}  ${r.seconds.toFixed(2)} s, CPU ${r.cpuMs.toFixed(0)} ms, RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB`,
      );
    }
  }
  return { samples, errors };
}

async function runCancel(origin, rounds, count) {
  const runs = [];
  const errors = [];
  for (let round = 0; round < rounds; round++) {
    log(`  [cancel ${round + 1}/${rounds}] ${count.toLocaleString('en')} requests`);
    const answer = await runChild('cancel.js', { origin, count }, 150_000);
    if (answer.error) errors.push({ round, error: answer.error });
    else runs.push(answer.result);
  }
  const cases = {};
  for (const name of Object.keys(runs[0]?.cases ?? {})) {
    const field = (f) => median(runs.map((r) => r.cases[name][f]));
    cases[name] = {
      subscribeMs: field('subscribeMs'),
      unsubscribeMs: field('unsubscribeMs'),
      pendingAfter: Math.max(...runs.map((r) => r.cases[name].pendingAfter)),
    };
  }
  return { count, rounds: runs.length, cases, runs, errors };
}

async function runLinearity(origin, rounds, sizes) {
  const runs = [];
  const errors = [];
  for (let round = 0; round < rounds; round++) {
    log(`  [linearity ${round + 1}/${rounds}] sizes ${sizes.map((s) => `${s / 1024} KiB`).join(', ')}`);
    const answer = await runChild('linearity.js', { origin, sizes }, 170_000);
    if (answer.error) errors.push({ round, error: answer.error });
    else runs.push(answer.result);
  }
  const rows = [];
  for (const first of runs[0]?.results ?? []) {
    const same = runs.map((r) => r.results.find((x) => x.kind === first.kind && x.size === first.size));
    const field = (f) => median(same.map((x) => x[f]));
    rows.push({
      kind: first.kind,
      size: first.size,
      seconds: field('seconds'),
      cpuMs: field('cpuMs'),
      reads: field('reads'),
      nsPerByte: field('nsPerByte'),
      bytesPerRead: field('bytesPerRead'),
    });
  }
  return { sizes, rounds: runs.length, rows, runs, errors };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // Five short rounds rather than three long ones: on a shared machine a median of five resists outliers better.
  const rounds = args.rounds ?? (args.quick ? 1 : 5);
  const scale = args.scale ?? (args.quick ? 0.1 : 1);
  const wanted = (name) => args.only === null || args.only.includes(name);
  const started = Date.now();
  // One build for the whole run: dist/ is a copy the clients load, so that a
  // rebuild of dist/ meanwhile (npm test does one) changes nothing measured.
  const snapshot = path.join(__dirname, 'results', 'dist-snapshot');
  fs.rmSync(snapshot, { recursive: true, force: true });
  fs.cpSync(path.join(__dirname, '..', 'dist'), snapshot, { recursive: true });
  process.env.BENCH_HTTPIO = snapshot;
  const info = machine();
  info.distSha256 = distHash(snapshot);
  const available = Object.keys(require(snapshot));
  log(`httpio bench: node ${info.node}, ${info.nproc} CPUs (${info.cpu}), undici ${info.undici}, dist ${info.distSha256}`);
  log(`window ${WINDOW} (maxPipelined / pipelining), ${CONCURRENCY} requests outstanding per client, ${rounds} round(s), scale ${scale}`);
  log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other processes on the machine skew the numbers)`,
  );
  if (!available.includes('fetchEach')) log('fetchEach is not exported by the build: its variant is skipped');

  const { server, origin } = await startServer();
  const out = {
    date: new Date(started).toISOString(),
    command: `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    machine: info,
    settings: { window: WINDOW, concurrency: CONCURRENCY, rounds, scale, quick: args.quick },
    loadStart: os.loadavg(),
    scenarios: {},
  };
  try {
    for (const name of Object.keys(SCENARIOS)) {
      if (!wanted(name)) continue;
      const clients = clientsFor(name, available).filter((c) => args.clients === null || args.clients.includes(c));
      log(`${name}: ${SCENARIOS[name].about}`);
      const { samples, errors } = await runThroughput(origin, name, clients, rounds, scale);
      out.scenarios[name] = { ...summarize(name, samples), errors, samples };
    }
    if (wanted('cancel')) {
      log('cancel: subscribe then unsubscribe, in order, requests on one httpio connection');
      out.cancel = await runCancel(origin, rounds, args.quick ? 20_000 : 100_000);
    }
    if (wanted('linearity')) {
      log('linearity: responses written a byte at a time, httpio');
      const sizes = args.quick ? [16 * 1024, 64 * 1024] : [64 * 1024, 256 * 1024, 1024 * 1024];
      out.linearity = await runLinearity(origin, args.quick ? 1 : 3, sizes);
    }
  } finally {
    server.disconnect();
  }
  out.loadEnd = os.loadavg();
  if (distHash(snapshot) !== info.distSha256) log('the dist/ snapshot changed during the run: the numbers mix builds');
  out.seconds = (Date.now() - started) / 1000;

  printTables(out, log);
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const saved = path.join(dir, args.quick ? 'quick.json' : 'latest.json');
  const text = `${JSON.stringify(out, null, 1)}\n`;
  fs.writeFileSync(saved, text);
  log(
    `results: ${path.relative(process.cwd(), saved)} (${out.seconds.toFixed(0)} s in all); render: node bench/render.js ${path.relative(process.cwd(), saved)}`,
  );
  if (args.json === '-') process.stdout.write(text);
  else if (args.json !== null) fs.writeFileSync(args.json, text);
  const failures =
    Object.values(out.scenarios).reduce((n, s) => n + s.errors.length, 0) +
    (out.cancel?.errors.length ?? 0) +
    (out.linearity?.errors.length ?? 0);
  if (failures > 0) {
    log(`${failures} run(s) failed: see "errors" in the JSON`);
    process.exitCode = 1;
  }
}

// The whole run is bounded too: a stuck child is killed by runChild, and this is the last resort.
setTimeout(() => {
  log('bench: the run took over 40 minutes; giving up');
  killChildren();
  process.exit(2);
}, 40 * 60_000).unref();

main().catch((err) => {
  log(String(err?.stack ?? err));
  killChildren();
  process.exitCode = 1;
});

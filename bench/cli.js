// The httpio bin against curl on one job: fetch URLS small responses of one
// origin (default 3000) into a directory, from a local server that answers
// each request DELAY_MS after reading it (default 2), pipelined requests
// concurrently, responses in order (RFC 9112 §9.3.2). Wall time and
// requests per second of one run each, with the exact commands.
//
//   npm run build && node bench/cli.js        (env: URLS=3000 DELAY_MS=2 N=40)
//
// The clients compared, each writing one file per URL into a fresh directory:
//   httpio -s -o DIR -i urls.txt                 4 connections × 10 pipelined (the defaults)
//   httpio -s -c 1 -p N -o DIR -i urls.txt       one connection, N pipelined
//   curl --parallel --parallel-max N             N connections, one request each at a time
//   xargs -P N -n 1 curl                         one curl process per URL
//   xargs -P N -n URLS/N curl                    N curl processes, URLS/N URLs each, keep-alive
// then all but `xargs -n 1` again with the bodies on stdout (counted by this
// script, not stored), which takes the file system out of the figures.
// curl must be 7.73 or later (--parallel needs 7.66, --output-dir 7.73).
'use strict';
const { execFileSync, fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const URLS = Number(process.env.URLS || 3000);
const DELAY_MS = Number(process.env.DELAY_MS ?? 2);
const N = Number(process.env.N || 40);
const BIN = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
const BODY_SIZE = 20;

/** The server, in its own process so its CPU is not the clients' nor this script's. */
function serve() {
  const body = '{"id":42,"ok":true}\n';
  if (body.length !== BODY_SIZE) throw new Error('the body is not BODY_SIZE bytes');
  const answer = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let seen = '';
    /** Requests read on this socket and not yet answered, oldest first: true once ready. */
    const queue = [];
    let closeAfter = false;
    const flush = () => {
      while (queue.length > 0 && queue[0].ready) {
        queue.shift();
        socket.write(answer);
      }
      if (queue.length === 0 && closeAfter) socket.end();
    };
    socket.on('data', (data) => {
      seen += data.toString('latin1');
      for (let end = seen.indexOf('\r\n\r\n'); end !== -1; end = seen.indexOf('\r\n\r\n')) {
        if (/\r\nconnection:\s*close/i.test(seen.slice(0, end))) closeAfter = true;
        seen = seen.slice(end + 4);
        const entry = { ready: false };
        queue.push(entry);
        setTimeout(() => {
          entry.ready = true;
          flush();
        }, DELAY_MS);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

/**
 * Runs `command args` with `stdin` from a file (or nothing) and its stdout
 * counted, not kept; resolves with the wall time in ms, the exit status and
 * the bytes it wrote to stdout.
 */
function timed(command, args, stdinFile) {
  return new Promise((resolve, reject) => {
    const stdin = stdinFile === undefined ? 'ignore' : fs.openSync(stdinFile, 'r');
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: [stdin, 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (data) => (bytes += data.length));
    child.on('error', reject);
    child.on('close', (status) => {
      if (typeof stdin === 'number') fs.closeSync(stdin);
      resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status, bytes });
    });
  });
}

/** How many of the URLS bodies arrived: files in `dir` holding the 20-byte body, or stdout bytes / 20. */
function delivered(dir, bytes) {
  if (dir === undefined) return bytes / BODY_SIZE;
  return fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).size === BODY_SIZE).length;
}

async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: npm run build first`);
  const curlVersion = execFileSync('curl', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const [major, minor] = curlVersion.split(' ')[1].split('.').map(Number);
  if (major < 7 || (major === 7 && minor < 73)) throw new Error(`${curlVersion}: curl 7.73 or later is needed (--parallel, --output-dir)`);

  const child = fork(path.join(__dirname, 'cli.js'), ['--server']);
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const origin = `http://127.0.0.1:${port}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'httpio-bench-cli-'));
  const list = path.join(work, 'urls.txt');
  const urls = Array.from({ length: URLS }, (_, i) => `${origin}/item/${i}`);
  fs.writeFileSync(list, urls.join('\n') + '\n');
  const batch = Math.ceil(URLS / N);

  // Into files (`dir` a fresh directory), then to stdout (`dir` undefined), which takes the file system out.
  const clients = [
    {
      name: 'httpio -o',
      shown: 'node dist/cli/main.js -s -o DIR -i urls.txt',
      run: (dir) => timed(process.execPath, [BIN, '-s', '-o', dir, '-i', list]),
    },
    {
      name: `httpio -c 1 -p ${N} -o`,
      shown: `node dist/cli/main.js -s -c 1 -p ${N} -o DIR -i urls.txt`,
      run: (dir) => timed(process.execPath, [BIN, '-s', '-c', '1', '-p', String(N), '-o', dir, '-i', list]),
    },
    {
      name: 'curl --parallel',
      // curl 7.88 draws its parallel progress meter despite -s; --no-progress-meter stops it.
      shown: `curl -s --no-progress-meter --parallel --parallel-max ${N} --output-dir DIR --remote-name-all $(cat urls.txt)`,
      run: (dir) =>
        timed('curl', [
          '-s',
          '--no-progress-meter',
          '--parallel',
          '--parallel-max',
          String(N),
          '--output-dir',
          dir,
          '--remote-name-all',
          ...urls,
        ]),
    },
    {
      name: 'xargs -P curl',
      shown: `xargs -P ${N} -n 1 curl -s --output-dir DIR -O < urls.txt`,
      run: (dir) => timed('xargs', ['-P', String(N), '-n', '1', 'curl', '-s', '--output-dir', dir, '-O'], list),
    },
    {
      name: `xargs -P curl, ${batch} each`,
      shown: `xargs -P ${N} -n ${batch} curl -s --output-dir DIR --remote-name-all < urls.txt`,
      run: (dir) => timed('xargs', ['-P', String(N), '-n', String(batch), 'curl', '-s', '--output-dir', dir, '--remote-name-all'], list),
    },
    {
      name: 'httpio > stdout',
      stdout: true,
      shown: 'node dist/cli/main.js -s -i urls.txt',
      run: () => timed(process.execPath, [BIN, '-s', '-i', list]),
    },
    {
      name: `httpio -c 1 -p ${N} > stdout`,
      stdout: true,
      shown: `node dist/cli/main.js -s -c 1 -p ${N} -i urls.txt`,
      run: () => timed(process.execPath, [BIN, '-s', '-c', '1', '-p', String(N), '-i', list]),
    },
    {
      name: 'curl --parallel > stdout',
      stdout: true,
      shown: `curl -s --no-progress-meter --parallel --parallel-max ${N} $(cat urls.txt)`,
      run: () => timed('curl', ['-s', '--no-progress-meter', '--parallel', '--parallel-max', String(N), ...urls]),
    },
    {
      name: `xargs -P curl, ${batch} each > stdout`,
      stdout: true,
      shown: `xargs -P ${N} -n ${batch} curl -s < urls.txt`,
      run: () => timed('xargs', ['-P', String(N), '-n', String(batch), 'curl', '-s'], list),
    },
  ];

  console.log(`${URLS} GETs of ${BODY_SIZE}-byte bodies from one origin on 127.0.0.1, ${DELAY_MS} ms per response; one run each`);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `node ${process.version}, ${curlVersion.split(' ').slice(0, 2).join(' ')}, ${os.cpus().length} CPUs (${os.cpus()[0].model.trim()}), load average ${load}\n`,
  );
  const rows = [];
  try {
    for (const client of clients) {
      const dir = client.stdout ? undefined : fs.mkdtempSync(path.join(work, 'out-'));
      const { ms, status, bytes } = await client.run(dir);
      rows.push({ ...client, ms, status, got: delivered(dir, bytes) });
      // The directories go at the end: deleting 3000 files makes the file system slow for whoever comes next.
    }
  } finally {
    child.kill();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'client'.padEnd(width)}  ${'wall'.padStart(8)}  ${'req/s'.padStart(7)}  bodies  exit`);
  for (const r of rows) {
    const ok = r.got === URLS ? 'all' : `${r.got}/${URLS}`;
    console.log(
      `${r.name.padEnd(width)}  ${(r.ms / 1000).toFixed(2).padStart(7)}s  ${String(Math.round((URLS * 1000) / r.ms)).padStart(7)}  ${ok.padStart(6)}  ${r.status}`,
    );
  }
  console.log('\ncommands (DIR a fresh directory, urls.txt the URLs one a line):');
  for (const r of rows) console.log(`  ${r.name.padEnd(width)}  ${r.shown}`);
}

if (process.argv[2] === '--server') serve();
else
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });

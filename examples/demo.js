// httpio demo: a local server that takes a few milliseconds per request, and
// the same work done three ways — pipelined on one httpio connection, one
// request at a time, and with Node's global fetch(). Run with `npm start`;
// it needs no network beyond 127.0.0.1.
'use strict';
const { fork } = require('node:child_process');
const path = require('node:path');
const { firstValueFrom, from, lastValueFrom, tap, count } = require('rxjs');
const { HttpConnection, fetchEach } = require('..');

const COUNT = 2000;
const WINDOW = 64;

/** Forks examples/demo-server.js and resolves with its port and delay. */
function startServer() {
  const child = fork(path.join(__dirname, 'demo-server.js'), [], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (info) => resolve({ child, ...info }));
  });
}

/** A one-line progress bar on stderr, only when it is a terminal. */
function progress(label, total) {
  const tty = process.stderr.isTTY;
  let done = 0;
  let drawn = 0;
  const draw = () => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r${label.padEnd(22)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`);
  };
  return {
    tick() {
      done++;
      if (tty && (done === total || Date.now() - drawn > 100)) {
        drawn = Date.now();
        draw();
      }
    },
    end() {
      if (tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

/** Runs `count` requests through `send` and prints the rate; checks every answer. */
async function measure(label, n, send) {
  const bar = progress(label, n);
  const started = process.hrtime.bigint();
  const ok = await send(n, (res, i) => {
    bar.tick();
    if (res.status !== 200 || res.id !== i) throw new Error(`${label}: request ${i} got a wrong answer`);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  bar.end();
  const rate = ok / seconds;
  console.log(
    `${label.padEnd(22)} ${String(ok).padStart(5)} requests, ${seconds.toFixed(2)} s, ${Math.round(rate).toLocaleString('en').padStart(6)} requests/s`,
  );
  return rate;
}

/** httpio: fetchEach keeps WINDOW requests going and the answers in order. */
function viaHttpio(conn, window) {
  return (n, check) =>
    lastValueFrom(
      from(Array.from({ length: n }, (_, i) => i)).pipe(
        fetchEach(conn, (i) => ({ method: 'GET', path: `/items/${i}` }), { concurrency: window }),
        tap((res) => check({ status: res.status, id: res.json().id }, res.json().id)),
        count(),
      ),
    );
}

/** Node's global fetch(), WINDOW at a time (it opens as many connections as it needs). */
function viaFetch(origin, window) {
  return async (n, check) => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < n; i = next++) {
        const res = await fetch(`${origin}/items/${i}`);
        check({ status: res.status, id: (await res.json()).id }, i);
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
    return n;
  };
}

async function main() {
  const { child, port, delay } = await startServer();
  const origin = `http://127.0.0.1:${port}`;
  console.log(`httpio demo: a Node.js http server on ${origin} (another process) answering each GET after ${delay} ms\n`);

  const pipelined = new HttpConnection(origin, { maxPipelined: WINDOW });
  const first = await firstValueFrom(pipelined.fetch('GET', '/items/42'));
  console.log(`GET /items/42 -> ${first.status} ${first.reason}, ${first.headers.get('content-type')}: ${first.text()}\n`);

  const fast = await measure(`httpio, ${WINDOW} pipelined`, COUNT, viaHttpio(pipelined, WINDOW));
  await pipelined.close();
  const serial = new HttpConnection(origin, { maxPipelined: 1 });
  const slow = await measure('httpio, one at a time', COUNT / 4, viaHttpio(serial, 1));
  await serial.close();
  const fetched = await measure(`fetch(), ${WINDOW} at a time`, COUNT, viaFetch(origin, WINDOW));

  console.log(
    `\npipelining on one connection: ${(fast / slow).toFixed(1)}x one request at a time, ${(fast / fetched).toFixed(1)}x fetch() with ${WINDOW} in flight`,
  );
  child.disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

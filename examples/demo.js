// httpio demo: a local server, a few thousand small requests over one
// pipelined connection, then the same requests one after another.
// Run with `npm start`; it needs no network beyond 127.0.0.1.
'use strict';
const { fork } = require('node:child_process');
const path = require('node:path');
const { firstValueFrom, lastValueFrom, range, mergeMap, toArray } = require('rxjs');
const { HttpConnection } = require('..');

const COUNT = 3000;

/** Forks examples/demo-server.js and resolves with its port. */
function startServer() {
  const child = fork(path.join(__dirname, 'demo-server.js'), [], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (port) => resolve({ child, port }));
  });
}

async function run(label, conn, concurrency) {
  const started = process.hrtime.bigint();
  const responses = await lastValueFrom(
    range(0, COUNT).pipe(
      mergeMap((i) => conn.fetch('GET', `/items/${i}`), concurrency),
      toArray(),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ok = responses.filter((res, i) => res.status === 200 && res.json().id === i).length;
  console.log(
    `${label.padEnd(12)} ${ok}/${COUNT} responses in order and correct, ` +
      `${seconds.toFixed(2)} s, ${Math.round(COUNT / seconds).toLocaleString('en')} requests/s`,
  );
  if (ok !== COUNT) throw new Error(`${label}: ${COUNT - ok} responses were wrong`);
  return COUNT / seconds;
}

async function main() {
  const { child, port } = await startServer();
  const origin = `http://127.0.0.1:${port}`;
  console.log(`httpio demo: a Node.js http server on ${origin} (another process), ${COUNT} GET requests of a small JSON document\n`);

  const pipelined = new HttpConnection(origin, { maxPipelined: 16 });
  const first = await firstValueFrom(pipelined.fetch('GET', '/items/42'));
  console.log(`GET /items/42 -> ${first.status} ${first.reason}, ${first.headers.get('content-type')}: ${first.text()}\n`);

  const fast = await run('pipelined', pipelined, Infinity);
  await pipelined.close();

  const serial = new HttpConnection(origin, { maxPipelined: 1 });
  const slow = await run('sequential', serial, 1);
  await serial.close();

  console.log(`\npipelining was ${(fast / slow).toFixed(1)}x the speed of one request at a time on one connection`);
  child.disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

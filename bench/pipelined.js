// Requests per second of small GETs on one httpio connection, at several
// pipelining depths, against bench/server.js in another process (its /small
// route). Plain JavaScript against the built package. Run: npm run bench:pipelined
// The comparison with undici and the others is bench/run.js (npm run bench).
'use strict';
const { fork } = require('node:child_process');
const path = require('node:path');
const { HttpConnection } = require('..');

const TOTAL = Number(process.env.REQUESTS || 100_000);

/** Keeps `window` requests subscribed until `total` have completed; resolves with requests per second. */
async function run(url, depth, total, window) {
  const conn = new HttpConnection(url, { maxPipelined: depth });
  const started = process.hrtime.bigint();
  await new Promise((resolve, reject) => {
    let subscribed = 0;
    let completed = 0;
    const more = () => {
      while (subscribed < total && subscribed - completed < window) {
        subscribed++;
        conn.fetch('GET', '/small').subscribe({
          next: (res) => res.status !== 200 && reject(new Error(`status ${res.status}`)),
          error: reject,
          complete: () => (++completed === total ? resolve() : more()),
        });
      }
    };
    more();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await conn.close();
  return total / seconds;
}

async function main() {
  const child = fork(path.join(__dirname, 'server.js'));
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const url = `http://127.0.0.1:${port}`;
  console.log(`httpio, ${TOTAL} small GETs on one connection, node ${process.version}\n`);
  try {
    await run(url, 16, 20_000, 64); // warm-up
    for (const [depth, window] of [
      [1, 1],
      [16, 64],
      [64, 256],
    ]) {
      const rate = await run(url, depth, depth === 1 ? TOTAL / 5 : TOTAL, window);
      console.log(`maxPipelined ${String(depth).padStart(2)}: ${Math.round(rate).toLocaleString('en').padStart(8)} requests/s`);
    }
  } finally {
    child.disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

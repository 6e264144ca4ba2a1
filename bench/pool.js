// A pool of connections against head-of-line blocking, side by side with
// undici's Pool (same connection count, pipelining on):
// `npm run build && node bench/pool.js`.
//
// The server (a child process, raw TCP) answers every request after FAST ms
// and one in a hundred after SLOW ms, in order per connection, working on
// many at once. Each client sends REQUESTS GETs with CONCURRENCY in flight;
// the report is requests/s and the latency of the fast requests (p50, p99):
// a fast request written behind a slow one waits for it.
'use strict';
const { fork } = require('node:child_process');
const net = require('node:net');

const FAST = Number(process.env.FAST ?? 2);
const SLOW = Number(process.env.SLOW ?? 200);
const REQUESTS = Number(process.env.REQUESTS ?? 6000);
const CONNECTIONS = 4;
const DEPTH = 16;
const CONCURRENCY = CONNECTIONS * DEPTH;
const ROUNDS = Number(process.env.ROUNDS ?? 3);

if (process.argv[2] === 'server') {
  const answer = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  net
    .createServer((socket) => {
      let seen = '';
      let last = Promise.resolve();
      socket.on('data', (data) => {
        seen += data.toString('latin1');
        for (let end = seen.indexOf('\r\n\r\n'); end !== -1; end = seen.indexOf('\r\n\r\n')) {
          const slow = seen.startsWith('GET /slow');
          seen = seen.slice(end + 4);
          const ready = new Promise((resolve) => setTimeout(resolve, slow ? SLOW : FAST));
          last = Promise.all([last, ready]).then(() => void socket.write(answer));
        }
      });
      socket.on('error', () => undefined);
    })
    .listen(0, '127.0.0.1', function () {
      process.send(this.address().port);
    });
  process.on('disconnect', () => process.exit(0));
  return;
}

const path = (i) => (i % 100 === 50 ? `/slow/${i}` : `/fast/${i}`);

/** Runs REQUESTS through `send(path) → Promise`, CONCURRENCY at a time; returns req/s and fast latencies. */
async function drive(send) {
  const fast = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < REQUESTS; i = next++) {
      const t = performance.now();
      await send(path(i));
      if (i % 100 !== 50) fast.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  fast.sort((a, b) => a - b);
  return { rate: REQUESTS / seconds, p50: fast[Math.floor(fast.length * 0.5)], p99: fast[Math.floor(fast.length * 0.99)] };
}

(async () => {
  const { HttpPool } = require('..');
  const { firstValueFrom } = require('rxjs');
  const { Pool } = require('undici');
  const child = fork(__filename, ['server']);
  const port = await new Promise((resolve) => child.once('message', resolve));
  const origin = `http://127.0.0.1:${port}`;
  const clients = {
    'httpio HttpPool': () => {
      const pool = new HttpPool(origin, { connections: CONNECTIONS, maxPipelined: DEPTH });
      return { send: (p) => firstValueFrom(pool.fetch('GET', p)), close: () => pool.close() };
    },
    'undici Pool': () => {
      const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: DEPTH });
      return {
        send: async (p) => {
          const { body } = await pool.request({ method: 'GET', path: p });
          await body.text();
        },
        close: () => pool.close(),
      };
    },
  };
  const results = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order, so neither always runs on a warmer process.
    const names = Object.keys(clients);
    if (round % 2 === 1) names.reverse();
    for (const name of names) {
      const client = clients[name]();
      results[name].push(await drive(client.send));
      await client.close();
    }
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `${REQUESTS} GETs, ${CONCURRENCY} in flight, ${CONNECTIONS} connections x ${DEPTH} deep; 1 in 100 takes ${SLOW} ms, the rest ${FAST} ms; median of ${ROUNDS} rounds`,
  );
  console.log('client              req/s   fast p50 ms   fast p99 ms');
  for (const [name, runs] of Object.entries(results)) {
    const row = [median(runs.map((r) => r.rate)), median(runs.map((r) => r.p50)), median(runs.map((r) => r.p99))];
    console.log(
      `${name.padEnd(18)} ${String(Math.round(row[0])).padStart(6)}   ${row[1].toFixed(1).padStart(11)}   ${row[2].toFixed(1).padStart(11)}`,
    );
  }
  child.disconnect();
})();

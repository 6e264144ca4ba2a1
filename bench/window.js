// How throughput grows with maxPipelined when each response takes a few
// milliseconds, as a real API's do: `npm run build && node bench/window.js`.
// The server (a child process, raw TCP) answers each pipelined request
// after DELAY ms, in order, working on many at once; the client sends
// REQUESTS GETs through fetchEach with each window in turn.
'use strict';
const { fork } = require('node:child_process');
const net = require('node:net');

const DELAY = Number(process.env.DELAY ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 4000);
const WINDOWS = [1, 4, 10, 32, 64, 128];

if (process.argv[2] === 'server') {
  const body = '{"ok":true}';
  const answer = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const server = net.createServer((socket) => {
    let seen = '';
    // Responses leave in request order, each no earlier than DELAY ms after its request.
    let last = Promise.resolve();
    socket.on('data', (data) => {
      seen += data.toString('latin1');
      for (let end = seen.indexOf('\r\n\r\n'); end !== -1; end = seen.indexOf('\r\n\r\n')) {
        seen = seen.slice(end + 4);
        const ready = new Promise((resolve) => setTimeout(resolve, DELAY));
        last = Promise.all([last, ready]).then(() => void socket.write(answer));
      }
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  process.on('disconnect', () => process.exit(0));
  return;
}

(async () => {
  const { HttpConnection, fetchEach } = require('..');
  const { from, lastValueFrom, count } = require('rxjs');
  const child = fork(__filename, ['server']);
  const port = await new Promise((resolve) => child.once('message', resolve));
  console.log(`${REQUESTS} GETs, ${DELAY} ms per response, one connection`);
  console.log('maxPipelined  req/s');
  for (const window of WINDOWS) {
    const conn = new HttpConnection(`http://127.0.0.1:${port}`, { maxPipelined: window });
    const n = Math.min(REQUESTS, window * 400);
    const started = process.hrtime.bigint();
    await lastValueFrom(
      from(Array.from({ length: n }, (_, i) => i)).pipe(
        fetchEach(conn, (i) => ({ method: 'GET', path: `/${i}` }), { concurrency: window }),
        count(),
      ),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(`${String(window).padStart(12)}  ${Math.round(n / seconds)}`);
    await conn.close();
  }
  child.disconnect();
})();

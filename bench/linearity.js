// The parse-linearity scenario of bench/run.js (httpio only), in its own
// process: responses of 64 KiB, 256 KiB and 1 MiB that the server writes a
// byte at a time (/trickle/N: the body; /trickle-head/N: one N-byte header
// field, which the parser must hold as one line across reads), and the same
// sizes read normally (/bytes/N). It reports the client's CPU per byte and
// the socket reads it took: if parsing is linear, CPU per byte stays flat as
// the size grows. The normal reads are repeated (64 MiB in all) and
// reported per response. Reads are counted on net.Socket (push() is how a socket
// hands each read to its stream), in this bench process only.
//   node bench/linearity.js '{"origin":"http://127.0.0.1:PORT","sizes":[65536]}'
'use strict';
const { runChild } = require('./child');
/** The build under test: run.js's snapshot of dist/, or the package itself. */
const HTTPIO = process.env.BENCH_HTTPIO || '..';
const net = require('node:net');
const { Readable } = require('node:stream');

let reads = 0;
net.Socket.prototype.push = function push(chunk, encoding) {
  if (chunk !== null) reads++;
  return Readable.prototype.push.call(this, chunk, encoding);
};

/** Fetches `path` `times` times, one after the other; CPU, time and reads are per response. */
async function measure(lib, origin, path, size, maxHeaderSize, times) {
  const conn = new lib.HttpConnection(origin, { maxHeaderSize, timeout: 120_000 });
  const once = () =>
    new Promise((resolve, reject) => {
      let got;
      conn.fetch('GET', path).subscribe({ next: (r) => (got = r), complete: () => resolve(got), error: reject });
    });
  // Connect (and warm up the path) with a small request first.
  await new Promise((resolve, reject) => conn.fetch('GET', '/small').subscribe({ complete: resolve, error: reject }));
  const reads0 = reads;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let res;
  for (let i = 0; i < times; i++) {
    res = await once();
    const got = path.includes('head') ? (res.headers.get('x-filler') ?? '').length : res.body.length;
    if (res.status !== 200 || got !== size) throw new Error(`${path}: status ${res.status}, ${got} bytes`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9 / times;
  const cpu = process.cpuUsage(cpu0);
  const readCount = (reads - reads0) / times;
  await conn.close();
  const cpuMs = (cpu.user + cpu.system) / 1000 / times;
  return { path, size, seconds, cpuMs, reads: readCount, nsPerByte: (cpuMs * 1e6) / size, bytesPerRead: size / readCount };
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const lib = require(HTTPIO);
  const results = [];
  const big = 2 * Math.max(...spec.sizes) + 1024;
  for (const kind of ['normal', 'body', 'head']) {
    for (const size of spec.sizes) {
      const path = { normal: `/bytes/${size}`, body: `/trickle/${size}`, head: `/trickle-head/${size}` }[kind];
      // Normal reads are fast: repeated to 64 MiB, so that the time is not one round trip.
      const times = kind === 'normal' ? Math.ceil((64 * 1024 * 1024) / size) : 1;
      const r = await measure(lib, spec.origin, path, size, kind === 'head' ? big : 64 * 1024, times);
      r.kind = kind;
      results.push(r);
      process.stderr.write(
        `    linearity ${kind.padEnd(6)} ${String(size / 1024).padStart(5)} KiB: ${r.nsPerByte.toFixed(0)} ns CPU/byte, ` +
          `${r.bytesPerRead.toFixed(1)} bytes/read, ${r.seconds.toFixed(2)} s\n`,
      );
    }
  }
  return { scenario: 'linearity', results, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

runChild('linearity', main);

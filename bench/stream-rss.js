// Memory of big transfers through httpio: a 1 GiB upload to a slow server and
// a 1 GiB download into a slow sink, with the RSS of this process sampled
// throughout. Plain JavaScript against the built package (npm run build), so
// that no compiler sits in the numbers. Run: npm run bench:stream
'use strict';
const { fork } = require('node:child_process');
const path = require('node:path');
const { Writable } = require('node:stream');
const { lastValueFrom, firstValueFrom, Observable } = require('rxjs');
const { HttpConnection, writeTo } = require('..');

const MiB = 1024 * 1024;
const SIZE = Number(process.env.SIZE_MIB || 1024) * MiB;

/** Samples RSS every 20 ms while `work` runs; returns the peak and the time taken. */
async function measure(work) {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = process.hrtime.bigint();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { before: before / MiB, peak: Math.max(peak, process.memoryUsage().rss) / MiB, seconds };
}

/** A Writable that takes about 200 MB/s: a 4 ms pause after each MiB. */
function slowSink() {
  let since = 0;
  let total = 0;
  const sink = new Writable({
    highWaterMark: 256 * 1024,
    write(chunk, _encoding, callback) {
      total += chunk.length;
      since += chunk.length;
      if (since < MiB) return callback();
      since = 0;
      setTimeout(callback, 4);
    },
  });
  return { sink, total: () => total };
}

async function* generated(size) {
  for (let left = size; left > 0; left -= 64 * 1024) yield Buffer.alloc(Math.min(64 * 1024, left), 0x62);
}

function report(label, result, bytes) {
  const rate = bytes / MiB / result.seconds;
  console.log(
    `${label.padEnd(44)} RSS ${result.before.toFixed(0).padStart(4)} MiB before, ` +
      `${result.peak.toFixed(0).padStart(5)} MiB peak (+${(result.peak - result.before).toFixed(0)}), ` +
      `${result.seconds.toFixed(1)} s, ${rate.toFixed(0)} MiB/s`,
  );
}

async function main() {
  const child = fork(path.join(__dirname, 'stream-server.js'), [], { stdio: 'inherit' });
  const port = await new Promise((resolve) => child.once('message', resolve));
  const conn = new HttpConnection(`http://127.0.0.1:${port}`, { timeout: 120_000 });
  console.log(`httpio streaming memory, ${SIZE / MiB} MiB each way, node ${process.version}\n`);
  try {
    // Warm up the connection and the code paths.
    await firstValueFrom(conn.fetch('GET', '/bytes/1024'));

    let answer;
    const upload = await measure(async () => {
      answer = await lastValueFrom(conn.fetch('PUT', '/upload', { body: generated(SIZE), contentLength: SIZE }));
    });
    if (Number(answer.text()) !== SIZE) throw new Error(`the server got ${answer.text()} bytes`);
    report('upload, AsyncIterable body, slow server', upload, SIZE);

    const { sink, total } = slowSink();
    const download = await measure(async () => {
      await lastValueFrom(conn.request('GET', `/bytes/${SIZE}`).pipe(writeTo(sink)));
      await new Promise((resolve) => sink.end(resolve));
    });
    if (total() !== SIZE) throw new Error(`the sink got ${total()} bytes`);
    report('download, writeTo(slow Writable)', download, SIZE);

    // For contrast: the same download read without pausing, into the same
    // slow sink. Nothing holds the server back, so the body piles up in the
    // sink's buffer. Smaller, so it stays affordable.
    const contrastSize = Math.min(SIZE, 256 * MiB);
    const plain = slowSink();
    const unpaused = await measure(async () => {
      await lastValueFrom(
        new Observable((subscriber) =>
          conn.request('GET', `/bytes/${contrastSize}`).subscribe({
            next: (event) => event.type === 'data' && plain.sink.write(event.data),
            error: (err) => subscriber.error(err),
            complete: () => subscriber.complete(),
          }),
        ),
        { defaultValue: null },
      );
      await new Promise((resolve) => plain.sink.end(resolve));
    });
    report(`contrast: ${contrastSize / MiB} MiB download, no pause()`, unpaused, contrastSize);
  } finally {
    await conn.close();
    child.disconnect();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

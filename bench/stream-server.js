// The peer for bench/stream-rss.js, in its own process so that its memory is
// not counted: PUT reads a body slowly and answers with its size; GET
// /bytes/N sends N bytes as fast as the client takes them.
'use strict';
const http = require('node:http');

const server = http.createServer((req, res) => {
  if (req.method === 'PUT') {
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      // A slow consumer: a short pause after each MiB.
      if (size % (1024 * 1024) < chunk.length) {
        req.pause();
        setTimeout(() => req.resume(), 2);
      }
    });
    req.on('end', () => res.end(String(size)));
    return;
  }
  const total = Number(req.url.split('/').pop());
  const piece = Buffer.alloc(64 * 1024, 0x61);
  res.writeHead(200, { 'content-length': total });
  let left = total;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(piece.length, left);
      left -= n;
      if (!res.write(n === piece.length ? piece : piece.subarray(0, n))) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));

// The peer for bench/pipelined.js, in its own process: answers every request
// head (each CRLFCRLF it sees) with the same small JSON response, as fast as
// it can, so that the client is what is measured.
'use strict';
const net = require('node:net');

const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"id":42,"name":"item 42"}\n',
);

const HEAD_END = Buffer.from('\r\n\r\n');

const server = net.createServer((socket) => {
  // The last 3 bytes of the previous read: a head end may straddle two reads.
  let tail = Buffer.alloc(0);
  socket.on('data', (data) => {
    let heads = Buffer.concat([tail, data.subarray(0, 3)]).includes(HEAD_END) ? 1 : 0;
    for (let at = data.indexOf(HEAD_END); at !== -1; at = data.indexOf(HEAD_END, at + 4)) heads++;
    tail = Buffer.from(data.subarray(Math.max(0, data.length - 3)));
    if (heads > 0) socket.write(heads === 1 ? RESPONSE : Buffer.concat(new Array(heads).fill(RESPONSE)));
  });
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));

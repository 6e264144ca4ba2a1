// The demo's server: small JSON documents at /items/:id, in its own process
// (forked by demo.js) so that client and server each have a core.
'use strict';
const http = require('node:http');

const server = http.createServer((req, res) => {
  const id = Number(req.url.slice('/items/'.length));
  const body = JSON.stringify({ id, name: `item ${id}` });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => server.close(() => process.exit(0)));

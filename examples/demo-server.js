// The demo's server: small JSON documents at /items/:id, each answered
// after DELAY ms as a real API's would be, in its own process (forked by
// demo.js) so that client and server each have a core. Node's http server
// works on pipelined requests at once and answers them in order.
'use strict';
const http = require('node:http');

const DELAY = Number(process.env.DEMO_DELAY ?? 3);

const server = http.createServer((req, res) => {
  const id = Number(req.url.slice('/items/'.length));
  const body = JSON.stringify({ id, name: `item ${id}` });
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }, DELAY);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, delay: DELAY }));
process.on('disconnect', () => server.close(() => process.exit(0)));

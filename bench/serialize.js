// The cost of building a request head, with and without init (a request
// without init reuses its built head): `npm run build && node bench/serialize.js`.
'use strict';
const { serializeRequest } = require('../dist/http1/serializer');

const N = 1e6;
function time(label, fn) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn(i);
  console.log(`${label.padEnd(28)} ${(Number(process.hrtime.bigint() - started) / N).toFixed(0).padStart(5)} ns/request`);
}
for (let round = 0; round < 2; round++) {
  time('GET /small, no init (cached)', () => serializeRequest('GET', '/small', undefined, '127.0.0.1:8080'));
  time('GET /small, init {} (built)', () => serializeRequest('GET', '/small', {}, '127.0.0.1:8080'));
}

// The raw-socket ceiling of bench/run.js: requests serialized once, written
// back to back (WINDOW in flight, topped up from each read), responses
// counted by their length, never parsed. What the server and the kernel
// allow on one connection; no HTTP client can beat it.
'use strict';
const { WINDOW, prepare } = require('./scenarios');

function rawRequest(t, host) {
  const fields = Object.entries(t.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const framing = t.body ? `content-length: ${t.body.length}\r\n` : '';
  const expect = t.expect100 ? 'expect: 100-continue\r\n' : '';
  const head = Buffer.from(`${t.method} ${t.path} HTTP/1.1\r\nhost: ${host}\r\n${fields}${framing}${expect}\r\n`, 'latin1');
  return { head, body: t.body, whole: t.body ? Buffer.concat([head, t.body]) : head };
}

async function raw(origin, scenario) {
  const net = require('node:net');
  const { hostname, port, host } = new URL(origin);
  const socket = net.connect({ host: hostname, port: Number(port), noDelay: true });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const templates = prepare(scenario);
  const reqs = templates.map((t) => rawRequest(t, host));
  const CONTINUE_LENGTH = 'HTTP/1.1 100 Continue\r\n\r\n'.length;

  // Learns each template's response length (the 100 Continue included) from one request, not timed.
  function probe(t, r) {
    return new Promise((resolve, reject) => {
      let got = Buffer.alloc(0);
      let at = 0; // where the final response starts
      const onData = (chunk) => {
        got = Buffer.concat([got, chunk]);
        if (t.expect100 && at === 0) {
          if (got.length < CONTINUE_LENGTH) return;
          if (got.subarray(0, 12).toString() !== 'HTTP/1.1 100') return reject(new Error('raw probe: no 100 Continue'));
          at = CONTINUE_LENGTH;
          socket.write(r.body);
        }
        const end = got.indexOf('\r\n\r\n', at);
        if (end === -1) return;
        const m = /content-length: *(\d+)/i.exec(got.subarray(at, end).toString('latin1'));
        const length = end + 4 + Number(m[1]);
        if (got.length < length) return;
        socket.off('data', onData);
        if (got.subarray(at + 9, at + 12).toString() !== '200') reject(new Error(`raw probe: ${got.subarray(at, at + 12)}`));
        else resolve(length);
      };
      socket.on('data', onData);
      socket.write(t.expect100 ? r.head : r.whole);
    });
  }
  const lengths = [];
  for (let k = 0; k < templates.length; k++) lengths.push(await probe(templates[k], reqs[k]));

  function runPipelined(count) {
    return new Promise((resolve, reject) => {
      let sent = 0;
      let done = 0;
      let left = lengths[0]; // bytes of the current response still to come
      const top = () => {
        if (sent >= count || sent - done >= WINDOW) return;
        socket.cork();
        while (sent < count && sent - done < WINDOW) socket.write(reqs[sent++ % reqs.length].whole);
        socket.uncork();
      };
      const onData = (chunk) => {
        let n = chunk.length;
        while (n >= left && done < count) {
          n -= left;
          done++;
          left = lengths[done % lengths.length];
        }
        left -= n;
        if (done === count) {
          socket.off('data', onData);
          socket.off('error', reject);
          resolve();
        } else top();
      };
      socket.on('data', onData);
      socket.on('error', reject);
      top();
    });
  }

  // Expect 100: head, wait for the 100, body and the next head; as httpio gates it.
  function runExpect(count) {
    return new Promise((resolve, reject) => {
      let done = 0;
      let continued = false; // the current request's 100 has arrived
      let left = CONTINUE_LENGTH;
      const onData = (chunk) => {
        let n = chunk.length;
        while (n >= left && done < count) {
          n -= left;
          const k = done % reqs.length;
          if (!continued) {
            continued = true;
            left = lengths[k] - CONTINUE_LENGTH;
            socket.cork();
            socket.write(reqs[k].body);
            if (done + 1 < count) socket.write(reqs[(done + 1) % reqs.length].head);
            socket.uncork();
          } else {
            done++;
            continued = false;
            left = CONTINUE_LENGTH;
          }
        }
        left -= n;
        if (done === count) {
          socket.off('data', onData);
          socket.off('error', reject);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.on('error', reject);
      socket.write(reqs[0].head);
    });
  }

  const expect = templates.some((t) => t.expect100);
  return {
    async run(count) {
      await (expect ? runExpect(count) : runPipelined(count));
      // The raw client does not look inside responses: report what the server sends.
      return expectedBodyBytes(scenario, count);
    },
    async close() {
      socket.destroy();
    },
  };
}

/** Body bytes a run of `count` requests receives, from the route sizes (for the raw client, which does not parse). */
function expectedBodyBytes(scenario, count) {
  let total = 0;
  for (let i = 0; i < count; i++) total += bodySize(scenario.requests[i % scenario.requests.length].path);
  return total;
}

function bodySize(path) {
  const m = /^\/bytes\/(\d+)/.exec(path);
  return m ? Number(m[1]) : 20;
}

module.exports = { raw, expectedBodyBytes };

// Runs and reports the interop checks: `check(name, needs, fn)` runs one check
// within CHECK_LIMIT_MS and prints one line, `ok`, `FAIL` or `skip` (a needed
// server not installed), counted in `counts`. It also loads the library under
// test, from the built dist/ by the package root, and gives the checks
// connections that are closed (or destroyed) when each check ends.
'use strict';

const { CHECK_LIMIT_MS, assert, describe, within, withTimeout } = require('./helpers');
const { servers } = require('./context');

// ---------------------------------------------------------------- the library under test

let httpio = null;
let rxjs = null;
let loadError = null;
try {
  httpio = require('../..');
  rxjs = require('rxjs');
} catch (err) {
  loadError = err;
}

// ---------------------------------------------------------------- reporting

const counts = { ok: 0, fail: 0, skip: 0 };

function report(kind, name, detail) {
  counts[kind] += 1;
  const label = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' }[kind];
  console.log(`${label} ${name}${detail ? ` — ${detail}` : ''}`);
}

// ---------------------------------------------------------------- connections and requests

const openConnections = new Set();

function connect(url, options) {
  const conn = new httpio.HttpConnection(url, options);
  openConnections.add(conn);
  return conn;
}

async function releaseConnections() {
  for (const conn of openConnections) {
    if (!(await within(conn.close(), 2_000))) conn.destroy();
  }
  openConnections.clear();
}

function get(conn, target, init) {
  return rxjs.firstValueFrom(conn.fetch('GET', target, init));
}

function events(conn, method, target, init) {
  return rxjs.lastValueFrom(conn.request(method, target, init).pipe(rxjs.toArray()));
}

/** The request must fail with ConnectError; `test` looks at it further. Returns a short description. */
async function expectConnectError(conn, target, test) {
  let res;
  try {
    res = await get(conn, target);
  } catch (err) {
    assert(err instanceof httpio.ConnectError, `expected ConnectError, got ${describe(err)}`);
    test(err);
    return describe(err);
  }
  throw new Error(`expected ConnectError, got a ${res.status} response`);
}

// ---------------------------------------------------------------- one check

async function check(name, needs, fn) {
  if (httpio === null) {
    report('fail', name, `httpio did not load (run npm run build first): ${describe(loadError)}`);
    return;
  }
  for (const server of needs) {
    const s = servers[server];
    if (!s.binary) {
      report('skip', name, `${s.missing || `${server} is not installed`} (apt-get install ${s.package})`);
      return;
    }
    if (!s.ready) {
      report('fail', name, `${server} did not start: ${s.error}`);
      return;
    }
  }
  try {
    const detail = await withTimeout(
      (async () => {
        try {
          return await fn();
        } finally {
          await releaseConnections();
        }
      })(),
      CHECK_LIMIT_MS,
      name,
    );
    report('ok', name, detail);
  } catch (err) {
    for (const conn of openConnections) conn.destroy();
    openConnections.clear();
    report('fail', name, describe(err));
  }
}

module.exports = { httpio, rxjs, counts, check, connect, get, events, expectConnectError };

// The clients bench/run.js compares, one function each, all with the same
// shape: `open(origin, scenario)` returns { run(count), close() }, where
// run() makes `count` requests cycling through the scenario's templates,
// CONCURRENCY at a time, and resolves with the response body bytes read.
// Each library is required only inside its own function, so that a client
// process holds (and its RSS counts) only the library it measures.
'use strict';
/** The build under test: run.js's snapshot of dist/, or the package itself. */
const HTTPIO = process.env.BENCH_HTTPIO || '..';
const { WINDOW, CONCURRENCY, prepare } = require('./scenarios');
const { raw } = require('./raw');

/** Runs `start(i)` for i < count, `limit` promises at a time; resolves with the sum of their values. */
function pool(count, limit, start) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let finished = 0;
    let total = 0;
    let failed = false;
    const done = (value) => {
      total += value;
      if (++finished === count) resolve(total);
      else if (started < count) next();
    };
    const fail = (err) => {
      if (!failed) reject(err);
      failed = true;
    };
    const next = () => {
      const i = started++;
      start(i).then(done, fail);
    };
    if (count === 0) return resolve(0);
    while (started < Math.min(count, limit)) next();
  });
}

function checkStatus(status, t) {
  if (status !== 200) throw new Error(`${t.method} ${t.path}: status ${status}`);
}

// --- undici 7 Client: request() and dispatch() ------------------------------------------

function undiciClient(origin, pipelining) {
  const { Client } = require('undici');
  return new Client(origin, { pipelining, keepAliveTimeout: 60_000 });
}

/**
 * undici 7 marks every request but HEAD `blocking` by default: nothing is
 * written behind it until its head arrives, so GETs are not pipelined
 * unless the caller says `blocking: false`, as a user after pipelining would.
 */
function undiciOptions(t, pipelining) {
  const options = { method: t.method, path: t.path, headers: t.headers, body: t.body };
  if (pipelining > 1) options.blocking = false;
  return options;
}

async function undiciRequest(origin, scenario, pipelining) {
  const client = undiciClient(origin, pipelining);
  const templates = prepare(scenario);
  const one = async (i) => {
    const t = templates[i % templates.length];
    const res = await client.request(undiciOptions(t, pipelining));
    checkStatus(res.statusCode, t);
    if (scenario.read === 'whole') return (await res.body.arrayBuffer()).byteLength;
    let n = 0;
    for await (const chunk of res.body) n += chunk.length;
    return n;
  };
  return { run: (count) => pool(count, CONCURRENCY, one), close: () => client.close() };
}

async function undiciDispatch(origin, scenario, pipelining) {
  const client = undiciClient(origin, pipelining);
  const templates = prepare(scenario);
  const whole = scenario.read === 'whole';
  const one = (i) =>
    new Promise((resolve, reject) => {
      const t = templates[i % templates.length];
      let n = 0;
      const chunks = [];
      client.dispatch(undiciOptions(t, pipelining), {
        onConnect() {},
        onHeaders(status) {
          if (status !== 200) reject(new Error(`${t.method} ${t.path}: status ${status}`));
          return true;
        },
        onData(chunk) {
          n += chunk.length;
          if (whole) chunks.push(chunk);
          return true;
        },
        onComplete() {
          resolve(whole ? Buffer.concat(chunks, n).length : n);
        },
        onError: reject,
      });
    });
  return { run: (count) => pool(count, CONCURRENCY, one), close: () => client.close() };
}

// --- node:http with a keep-alive Agent, one socket ---------------------------------------

async function nodeHttp(origin, scenario) {
  const http = require('node:http');
  const { hostname, port } = new URL(origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const templates = prepare(scenario);
  const whole = scenario.read === 'whole';
  const one = (i) =>
    new Promise((resolve, reject) => {
      const t = templates[i % templates.length];
      const headers = { ...t.headers };
      if (t.body) headers['content-length'] = t.body.length;
      if (t.expect100) headers.expect = '100-continue';
      const req = http.request({ host: hostname, port, method: t.method, path: t.path, headers, agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${t.method} ${t.path}: status ${res.statusCode}`));
        let n = 0;
        const chunks = [];
        res.on('data', (chunk) => {
          n += chunk.length;
          if (whole) chunks.push(chunk);
        });
        res.on('end', () => resolve(whole ? Buffer.concat(chunks, n).length : n));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (t.expect100) {
        req.on('continue', () => req.end(t.body));
        req.flushHeaders();
      } else req.end(t.body ?? undefined);
    });
  return { run: (count) => pool(count, CONCURRENCY, one), close: async () => agent.destroy() };
}

// --- global fetch (Node's bundled undici), on one connection -----------------------------

async function globalFetch(origin, scenario) {
  const templates = prepare(scenario);
  // Node 20 has no public handle on its bundled undici; its global Agent's
  // class is that undici's Agent, which gives fetch one connection.
  await fetch(`${origin}/small`).then((r) => r.arrayBuffer());
  const Agent = globalThis[Symbol.for('undici.globalDispatcher.1')].constructor;
  const dispatcher = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
  const one = async (i) => {
    const t = templates[i % templates.length];
    const res = await fetch(origin + t.path, { method: t.method, headers: t.headers, body: t.body, dispatcher });
    checkStatus(res.status, t);
    if (scenario.read === 'whole') return (await res.arrayBuffer()).byteLength;
    let n = 0;
    for await (const chunk of res.body) n += chunk.length;
    return n;
  };
  return { run: (count) => pool(count, CONCURRENCY, one), close: () => dispatcher.close() };
}

// --- httpio --------------------------------------------------------------------------

/** RequestInit for a template; none at all for a bare GET, as a caller would write `conn.fetch('GET', path)`. */
function httpioInit(t) {
  const init = {};
  if (Object.keys(t.headers).length > 0) init.headers = t.headers;
  if (t.body) init.body = t.body;
  if (t.expect100) init.expect100 = true;
  return Object.keys(init).length > 0 ? init : undefined;
}

async function httpio(origin, scenario) {
  const { HttpConnection } = require(HTTPIO);
  const { range, mergeMap, reduce, lastValueFrom, map } = require('rxjs');
  const conn = new HttpConnection(origin, { maxPipelined: WINDOW });
  const templates = prepare(scenario);
  const inits = templates.map(httpioInit);
  const whole = scenario.read === 'whole';
  const one = (i) => {
    const k = i % templates.length;
    const t = templates[k];
    if (whole) {
      return conn.fetch(t.method, t.path, inits[k]).pipe(
        map((res) => {
          checkStatus(res.status, t);
          return res.body.length;
        }),
      );
    }
    return conn.request(t.method, t.path, inits[k]).pipe(
      reduce((n, event) => {
        if (event.type === 'head') checkStatus(event.status, t);
        return event.type === 'data' ? n + event.data.length : n;
      }, 0),
    );
  };
  return {
    run: (count) =>
      lastValueFrom(
        range(0, count).pipe(
          mergeMap(one, CONCURRENCY),
          reduce((a, b) => a + b, 0),
        ),
        { defaultValue: 0 },
      ),
    close: () => conn.close(),
  };
}

/** httpio driven like the other clients: one subscribe per request, CONCURRENCY outstanding, no mergeMap. */
async function httpioSubscribe(origin, scenario) {
  const { HttpConnection } = require(HTTPIO);
  const conn = new HttpConnection(origin, { maxPipelined: WINDOW });
  const templates = prepare(scenario);
  const inits = templates.map(httpioInit);
  const whole = scenario.read === 'whole';
  const one = (i) =>
    new Promise((resolve, reject) => {
      const k = i % templates.length;
      const t = templates[k];
      let n = 0;
      if (whole) {
        conn.fetch(t.method, t.path, inits[k]).subscribe({
          next: (res) => (res.status === 200 ? (n = res.body.length) : reject(new Error(`${t.method} ${t.path}: status ${res.status}`))),
          error: reject,
          complete: () => resolve(n),
        });
      } else {
        conn.request(t.method, t.path, inits[k]).subscribe({
          next: (event) => {
            if (event.type === 'data') n += event.data.length;
            else if (event.type === 'head' && event.status !== 200) reject(new Error(`${t.method} ${t.path}: status ${event.status}`));
          },
          error: reject,
          complete: () => resolve(n),
        });
      }
    });
  return { run: (count) => pool(count, CONCURRENCY, one), close: () => conn.close() };
}

async function httpioFetchEach(origin, scenario) {
  const lib = require(HTTPIO);
  const { range, reduce, lastValueFrom } = require('rxjs');
  const conn = new lib.HttpConnection(origin, { maxPipelined: WINDOW });
  const templates = prepare(scenario);
  const inits = templates.map(httpioInit);
  const project = (i) => {
    const k = i % templates.length;
    return { method: templates[k].method, path: templates[k].path, init: inits[k] };
  };
  return {
    run: (count) =>
      lastValueFrom(
        range(0, count).pipe(
          lib.fetchEach(conn, project, { concurrency: CONCURRENCY }),
          reduce((n, res) => {
            if (res.status !== 200) throw new Error(`status ${res.status}`);
            return n + res.body.length;
          }, 0),
        ),
        { defaultValue: 0 },
      ),
    close: () => conn.close(),
  };
}

const OPEN = {
  raw,
  'undici-request-p1': (o, s) => undiciRequest(o, s, 1),
  'undici-request-pw': (o, s) => undiciRequest(o, s, WINDOW),
  'undici-dispatch-p1': (o, s) => undiciDispatch(o, s, 1),
  'undici-dispatch-pw': (o, s) => undiciDispatch(o, s, WINDOW),
  'node-http': nodeHttp,
  fetch: globalFetch,
  httpio,
  'httpio-subscribe': httpioSubscribe,
  'httpio-fetchEach': httpioFetchEach,
};

module.exports = { OPEN };

// What bench/run.js measures: the scenarios (a cycle of requests, how many,
// how the response is read) and the clients that take part in each. Shared
// by the runner and the client processes, so both read one definition.
'use strict';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Requests written and unanswered at most, for every pipelining client: httpio's maxPipelined. */
const WINDOW = 16;
/** Requests a caller keeps subscribed (mergeMap concurrency) or started, for every client. */
const CONCURRENCY = 2 * WINDOW;

const API_HEADERS = {
  accept: 'application/json',
  'user-agent': 'httpio-bench/1',
  authorization: 'Bearer 0123456789abcdef0123456789abcdef',
};

/**
 * Each scenario: `requests`, a cycle of request templates ({ method, path,
 * headers?, body?: size in bytes, expect100? }); `count` requests measured
 * after `warmup` on the same connection; `slowCount` replaces `count` for
 * clients that do not pipeline, where it only lengthens the run; `read`:
 * 'whole' (the body gathered into one buffer, as fetch() does) or 'stream'
 * (counted as it arrives); `unit`: 'req' (requests/s) or 'MiB' (body MiB/s,
 * request or response, whichever is large).
 */
const SCENARIOS = {
  small: {
    title: 'small responses, pipelined',
    about: 'GET /small, a 20-byte body; the server answers at once',
    requests: [{ method: 'GET', path: '/small' }],
    count: 30_000,
    slowCount: 6_000,
    warmup: 2_000,
    read: 'whole',
    unit: 'req',
  },
  latency: {
    title: 'latency-bound (2 ms per response)',
    about: 'GET /small?delay=2: each response is ready 2 ms after its request was read; pipelined requests wait concurrently',
    requests: [{ method: 'GET', path: '/small?delay=2' }],
    count: 10_000,
    slowCount: 500,
    warmup: 200,
    read: 'whole',
    unit: 'req',
  },
  mixed: {
    title: '1 KiB mixed',
    about: 'alternately GET /bytes/1024 and POST /small with a 1 KiB JSON body, with API-like headers',
    requests: [
      { method: 'GET', path: '/bytes/1024', headers: API_HEADERS },
      { method: 'POST', path: '/small', headers: { ...API_HEADERS, 'content-type': 'application/json' }, body: KiB },
    ],
    count: 20_000,
    slowCount: 4_000,
    warmup: 1_500,
    read: 'whole',
    unit: 'req',
  },
  bulk: {
    title: '1 MiB downloads',
    about: 'GET /bytes/1048576, the body counted as it arrives (not gathered)',
    requests: [{ method: 'GET', path: `/bytes/${MiB}` }],
    count: 400,
    warmup: 30,
    read: 'stream',
    unit: 'MiB',
    mib: 1,
  },
  upload: {
    title: '1 MiB uploads',
    about: 'PUT /small with a 1 MiB body (one Buffer, Content-Length), a 20-byte answer',
    requests: [{ method: 'PUT', path: '/small', body: MiB }],
    count: 300,
    warmup: 20,
    read: 'whole',
    unit: 'MiB',
    mib: 1,
  },
  'upload-expect': {
    title: '1 MiB uploads, Expect: 100-continue',
    about: 'as upload, each body held until the server answers 100 Continue',
    requests: [{ method: 'PUT', path: '/small', body: MiB, expect100: true }],
    count: 300,
    warmup: 20,
    read: 'whole',
    unit: 'MiB',
    mib: 1,
  },
};

/**
 * The clients, in the order they are listed. `pipelined`: writes more than
 * one request ahead; `expect100`: can send Expect: 100-continue over HTTP/1.1
 * (undici refuses the header; fetch has no way to ask for it).
 */
const CLIENTS = {
  raw: { label: 'raw socket (ceiling)', pipelined: true, expect100: true },
  'undici-request-p1': { label: 'undici request, pipelining 1', pipelined: false, expect100: false, undici: true },
  'undici-request-pw': { label: `undici request, pipelining ${WINDOW}`, pipelined: true, expect100: false, undici: true },
  'undici-dispatch-p1': { label: 'undici dispatch, pipelining 1', pipelined: false, expect100: false, undici: true },
  'undici-dispatch-pw': { label: `undici dispatch, pipelining ${WINDOW}`, pipelined: true, expect100: false, undici: true },
  'node-http': { label: 'node:http, keep-alive Agent', pipelined: false, expect100: true },
  fetch: { label: 'fetch (Node bundled undici)', pipelined: false, expect100: false },
  httpio: { label: 'httpio, mergeMap', pipelined: true, expect100: true, httpio: true },
  // The same driver as the other clients' (a counter, CONCURRENCY promises at
  // a time): what httpio costs without RxJS's mergeMap buffer in front of it.
  'httpio-subscribe': { label: 'httpio, subscribe() per request', pipelined: true, expect100: true, httpio: true },
  // fetchEach emits whole responses: it takes no part where bodies are streamed.
  'httpio-fetchEach': { label: 'httpio, fetchEach', pipelined: true, expect100: true, httpio: true, optional: 'fetchEach', whole: true },
};

/** The clients that take part in a scenario. */
function clientsFor(scenario, available) {
  const expect = SCENARIOS[scenario].requests.some((r) => r.expect100);
  return Object.keys(CLIENTS).filter((id) => {
    const c = CLIENTS[id];
    if (c.optional && !available.includes(c.optional)) return false;
    if (c.whole && SCENARIOS[scenario].read !== 'whole') return false;
    return !expect || c.expect100;
  });
}

/** A request template with its body built once: { method, path, headers, body: Buffer|null, expect100 }. */
function prepare(scenario) {
  return scenario.requests.map((t) => ({
    method: t.method,
    path: t.path,
    headers: t.headers ?? {},
    body: t.body ? Buffer.alloc(t.body, 0x7b) : null,
    expect100: t.expect100 === true,
  }));
}

module.exports = { KiB, MiB, WINDOW, CONCURRENCY, SCENARIOS, CLIENTS, clientsFor, prepare };

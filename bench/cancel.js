// The cancellation scenario of bench/run.js (httpio only), in its own
// process: subscribes N requests on one connection, then unsubscribes them
// all in subscription order, and reports how long that blocked the event
// loop. Two cases:
//   connected:   the connection is up, to a server that never answers
//                (/never): maxPipelined requests are written, the rest wait;
//   unconnected: the same, all within one tick, before the socket exists.
// A third, `mergeMap`: one subscription to from(N).pipe(mergeMap(fetch)),
// unsubscribed once, as a user's takeUntil() would.
//   node bench/cancel.js '{"origin":"http://127.0.0.1:PORT","count":100000}'
'use strict';
const { runChild } = require('./child');
/** The build under test: run.js's snapshot of dist/, or the package itself. */
const HTTPIO = process.env.BENCH_HTTPIO || '..';
const { WINDOW } = require('./scenarios');

/**
 * How long the event loop is blocked by `work`, in ms: from its start to the
 * next turn of the loop (a setImmediate queued before it), so that ticks and
 * microtasks it leaves behind count too.
 */
function blocked(work) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    setImmediate(() => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
    work();
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function caseConnected(lib, origin, count) {
  const conn = new lib.HttpConnection(origin, { maxPipelined: WINDOW, timeout: 0 });
  // Connect first, with one answered request.
  await new Promise((resolve, reject) => conn.fetch('GET', '/small').subscribe({ complete: resolve, error: reject }));
  const subs = [];
  const subscribeMs = await blocked(() => {
    for (let i = 0; i < count; i++) subs.push(conn.fetch('GET', '/never').subscribe({ error: () => undefined }));
  });
  await tick(); // the first maxPipelined are written
  await new Promise((resolve) => setTimeout(resolve, 20));
  const pendingBefore = conn.pending;
  const unsubscribeMs = await blocked(() => {
    for (const sub of subs) sub.unsubscribe();
  });
  const pendingAfter = conn.pending;
  conn.destroy();
  return { subscribeMs, unsubscribeMs, pendingBefore, pendingAfter };
}

async function caseUnconnected(lib, origin, count) {
  const conn = new lib.HttpConnection(origin, { maxPipelined: WINDOW, timeout: 0 });
  const subs = [];
  // Both loops in one tick, so that the socket cannot connect in between;
  // the second measure also counts what the unsubscribes leave for later.
  let pendingBefore = 0;
  let subscribeMs = 0;
  const unsubscribeMs =
    (await blocked(() => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < count; i++) subs.push(conn.fetch('GET', '/never').subscribe({ error: () => undefined }));
      subscribeMs = Number(process.hrtime.bigint() - t0) / 1e6;
      pendingBefore = conn.pending;
      for (const sub of subs) sub.unsubscribe();
    })) - subscribeMs;
  const pendingAfter = conn.pending;
  conn.destroy();
  await tick();
  return { subscribeMs, unsubscribeMs, pendingBefore, pendingAfter };
}

async function caseMergeMap(lib, origin, count) {
  const { range, mergeMap } = require('rxjs');
  const conn = new lib.HttpConnection(origin, { maxPipelined: WINDOW, timeout: 0 });
  await new Promise((resolve, reject) => conn.fetch('GET', '/small').subscribe({ complete: resolve, error: reject }));
  let sub;
  const subscribeMs = await blocked(() => {
    sub = range(0, count)
      .pipe(mergeMap(() => conn.fetch('GET', '/never')))
      .subscribe({ error: () => undefined });
  });
  await tick();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const pendingBefore = conn.pending;
  const unsubscribeMs = await blocked(() => sub.unsubscribe());
  const pendingAfter = conn.pending;
  conn.destroy();
  return { subscribeMs, unsubscribeMs, pendingBefore, pendingAfter };
}

const CASES = { connected: caseConnected, unconnected: caseUnconnected, mergeMap: caseMergeMap };

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const lib = require(HTTPIO);
  const out = {};
  for (const name of spec.cases ?? Object.keys(CASES)) {
    out[name] = await CASES[name](lib, spec.origin, spec.count);
    process.stderr.write(`    cancel ${name}: ${out[name].unsubscribeMs.toFixed(0)} ms\n`);
  }
  return { scenario: 'cancel', count: spec.count, cases: out, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
}

runChild('cancel', main);

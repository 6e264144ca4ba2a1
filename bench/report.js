// Turns bench/run.js's samples into medians, ratios and the project's
// targets, and prints them as Markdown tables (what docs/performance.md
// shows). Used by run.js; render.js draws the same summary as SVG.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { SCENARIOS, CLIENTS } = require('./scenarios');

const MiB = 1024 * 1024;

/** Names a build (its *.js files): while lib/ is being changed, it may differ from every commit. */
function distHash(dir = path.join(__dirname, '..', 'dist')) {
  const hash = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) hash.update(entry.name).update(fs.readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 12);
}

function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Per client: the median rate (requests/s, or body MiB/s), CPU per request
 * (µs) or per MiB (ms), CPU as a share of wall time, and peak RSS; then each
 * rate against the best undici variant and against the raw socket.
 */
function summarize(name, samples) {
  const scenario = SCENARIOS[name];
  const perUnit = (r) => (scenario.unit === 'MiB' ? r.count * scenario.mib : r.count);
  const clients = {};
  for (const [client, runs] of Object.entries(samples)) {
    if (runs.length === 0) continue;
    clients[client] = {
      rate: median(runs.map((r) => perUnit(r) / r.seconds)),
      // µs of CPU per request, or ms of CPU per MiB: both are CPU per unit / 1000 of its rate unit.
      cpuPerUnit: median(runs.map((r) => (scenario.unit === 'MiB' ? r.cpuMs / perUnit(r) : (r.cpuMs * 1000) / perUnit(r)))),
      cpuShare: median(runs.map((r) => r.cpuMs / 1000 / r.seconds)),
      rssMiB: median(runs.map((r) => r.maxRssBytes / MiB)),
      count: runs[0].count,
      rounds: runs.length,
      rates: runs.map((r) => perUnit(r) / r.seconds),
    };
  }
  const undici = Object.keys(clients).filter((c) => CLIENTS[c].undici);
  const bestUndici = undici.reduce((best, c) => (best === null || clients[c].rate > clients[best].rate ? c : best), null);
  const leanUndici = undici.reduce((best, c) => (best === null || clients[c].rssMiB < clients[best].rssMiB ? c : best), null);
  for (const c of Object.values(clients)) {
    c.vsUndici = bestUndici ? c.rate / clients[bestUndici].rate : null;
    c.vsRaw = clients.raw ? c.rate / clients.raw.rate : null;
    c.rssVsUndici = leanUndici ? c.rssMiB / clients[leanUndici].rssMiB : null;
  }
  return { unit: scenario.unit, title: scenario.title, about: scenario.about, bestUndici, leanUndici, clients };
}

const HTTPIO = ['httpio', 'httpio-subscribe', 'httpio-fetchEach'];

/** The project's targets, each { target, value, met } per httpio variant present. */
function targets(out) {
  const rows = [];
  const s = out.scenarios;
  const add = (what, scenario, pick, goal, text) => {
    if (!s[scenario]) return;
    for (const id of HTTPIO) {
      const c = s[scenario].clients[id];
      if (!c) continue;
      const value = pick(c, s[scenario]);
      if (value === null || value === undefined) continue;
      rows.push({ target: `${what} (${id})`, goal: text, value, met: goal(value) });
    }
  };
  add(
    'small pipelined vs best undici',
    'small',
    (c) => c.vsUndici,
    (v) => v >= 1.5,
    '≥ 1.5×',
  );
  add(
    'small pipelined vs raw',
    'small',
    (c) => c.vsRaw,
    (v) => v >= 0.25,
    '≥ 0.25×',
  );
  add(
    'latency-bound vs best undici',
    'latency',
    (c) => c.vsUndici,
    (v) => v >= 1.1,
    '≥ 1.1×',
  );
  add(
    '1 KiB mixed vs best undici',
    'mixed',
    (c) => c.vsUndici,
    (v) => v >= 1.5,
    '≥ 1.5×',
  );
  add(
    '1 MiB bulk vs raw',
    'bulk',
    (c) => c.vsRaw,
    (v) => v >= 0.85,
    '≥ 0.85×',
  );
  add(
    'uploads with expect100 vs node:http',
    'upload-expect',
    (c, sc) => (sc.clients['node-http'] ? c.rate / sc.clients['node-http'].rate : null),
    (v) => v >= 1,
    '≥ 1×',
  );
  for (const id of HTTPIO) {
    const ratios = Object.entries(s)
      .filter(([, sc]) => sc.clients[id] && sc.clients[id].rssVsUndici !== null)
      .map(([name, sc]) => [name, sc.clients[id].rssVsUndici]);
    if (ratios.length === 0) continue;
    const [worstName, worst] = ratios.reduce((a, b) => (b[1] > a[1] ? b : a));
    rows.push({
      target: `peak RSS vs leanest undici, worst scenario: ${worstName} (${id})`,
      goal: '≤ 0.7×',
      value: worst,
      met: worst <= 0.7,
    });
  }
  if (out.cancel) {
    for (const [name, c] of Object.entries(out.cancel.cases)) {
      rows.push({
        target: `cancel ${out.cancel.count.toLocaleString('en')} queued, ${name} (httpio)`,
        goal: '< 100 ms',
        value: c.unsubscribeMs,
        unit: 'ms',
        met: c.unsubscribeMs < 100,
      });
    }
  }
  return rows;
}

const fmtRate = (v, unit) => (unit === 'MiB' ? `${v.toFixed(0)} MiB/s` : `${Math.round(v).toLocaleString('en')} req/s`);
const fmtRatio = (v) => (v === null ? '–' : `${v.toFixed(2)}×`);

/** A ratio with two decimals, or three where two would round it onto its goal (0.703 shown as 0.70 would read as met). */
function goalRatio(row) {
  const limit = Number(/[\d.]+/.exec(row.goal)?.[0]);
  const two = row.value.toFixed(2);
  return Number(two) === limit ? `${row.value.toFixed(3)}×` : `${two}×`;
}

function printTables(out, print) {
  print('');
  for (const [name, sc] of Object.entries(out.scenarios)) {
    print(`### ${name}: ${sc.title}`);
    print('');
    print(
      `| client | ${sc.unit === 'MiB' ? 'MiB/s' : 'req/s'} | spread | × best undici | × raw | CPU ${sc.unit === 'MiB' ? 'ms/MiB' : 'µs/req'} | CPU % | peak RSS MiB |`,
    );
    print('|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const [id, c] of Object.entries(sc.clients)) {
      const label = CLIENTS[id].label + (id === sc.bestUndici ? ' ★' : '');
      const rate = sc.unit === 'MiB' ? c.rate.toFixed(0) : Math.round(c.rate).toLocaleString('en');
      // How far apart the rounds were: (max − min) / median.
      const spread = c.rounds > 1 ? `${(((Math.max(...c.rates) - Math.min(...c.rates)) / c.rate) * 100).toFixed(0)}%` : '–';
      print(
        `| ${label} | ${rate} | ${spread} | ${fmtRatio(c.vsUndici)} | ${fmtRatio(c.vsRaw)} | ${c.cpuPerUnit.toFixed(sc.unit === 'MiB' ? 2 : 1)} | ${(c.cpuShare * 100).toFixed(0)} | ${c.rssMiB.toFixed(0)} |`,
      );
    }
    for (const e of sc.errors) print(`| ${e.client} (round ${e.round + 1}) | failed: ${e.error.split('\n')[0]} | | | | | | |`);
    print('');
  }
  if (out.cancel) {
    print(
      `### cancel: ${out.cancel.count.toLocaleString('en')} requests subscribed, then unsubscribed in order (httpio, median of ${out.cancel.rounds})`,
    );
    print('');
    print('| case | subscribe, ms | unsubscribe (loop blocked), ms | pending after |');
    print('|---|--:|--:|--:|');
    for (const [name, c] of Object.entries(out.cancel.cases)) {
      print(`| ${name} | ${c.subscribeMs.toFixed(0)} | ${c.unsubscribeMs.toFixed(0)} | ${c.pendingAfter} |`);
    }
    for (const e of out.cancel.errors) print(`| round ${e.round + 1} | failed: ${e.error.split('\n')[0]} | | |`);
    print('');
  }
  if (out.linearity) {
    print(`### linearity: responses written a byte at a time (httpio, median of ${out.linearity.rounds})`);
    print('');
    print('| response | size | bytes per read | client CPU, ns/byte | client CPU, µs/read | wall, s | MB/s |');
    print('|---|--:|--:|--:|--:|--:|--:|');
    const what = { normal: 'body, normal reads', body: 'body, trickled', head: 'one header field, trickled' };
    for (const r of out.linearity.rows) {
      const wall = r.seconds < 0.1 ? r.seconds.toFixed(4) : r.seconds.toFixed(2);
      print(
        `| ${what[r.kind]} | ${r.size / 1024} KiB | ${r.bytesPerRead.toFixed(1)} | ${r.nsPerByte.toFixed(0)} | ${((r.cpuMs * 1000) / r.reads).toFixed(1)} | ${wall} | ${(r.size / 1e6 / r.seconds).toFixed(1)} |`,
      );
    }
    for (const e of out.linearity.errors) print(`| round ${e.round + 1} | failed: ${e.error.split('\n')[0]} | | | | | |`);
    print('');
  }
  const rows = targets(out);
  if (rows.length > 0) {
    print('### targets');
    print('');
    print('| target | goal | now | met |');
    print('|---|---|--:|---|');
    for (const r of rows)
      print(`| ${r.target} | ${r.goal} | ${r.unit === 'ms' ? `${r.value.toFixed(0)} ms` : goalRatio(r)} | ${r.met ? 'yes' : '**no**'} |`);
    print('');
  }
}

module.exports = { median, summarize, targets, printTables, fmtRate, distHash };

// One client process of bench/run.js: opens one client on the server, warms
// it up, makes the measured requests, and reports to the parent (IPC) its
// time, CPU and peak RSS. Run by the runner, not by hand:
//   node bench/client.js '{"client":"httpio","scenario":"small","origin":"http://127.0.0.1:PORT"}'
'use strict';
const { runChild } = require('./child');
const { SCENARIOS, CLIENTS } = require('./scenarios');
const { OPEN } = require('./clients');

async function startProfiler(intervalUs) {
  const inspector = require('node:inspector');
  const fs = require('node:fs');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalUs });
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const scenario = SCENARIOS[spec.scenario];
  const scale = spec.scale ?? 1;
  const slow = !CLIENTS[spec.client].pipelined && scenario.slowCount !== undefined;
  const count = Math.max(1, Math.round((slow ? scenario.slowCount : scenario.count) * scale));
  const warmup = Math.max(1, Math.round(scenario.warmup * scale));
  const rssStart = process.memoryUsage().rss;

  const client = await OPEN[spec.client](spec.origin, scenario);
  await client.run(warmup);
  // bench/profile.js: V8's CPU profiler (what --cpu-prof runs) over the measured requests only.
  const profiler = spec.profile ? await startProfiler(spec.profileIntervalUs ?? 200) : null;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const bytes = await client.run(count);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  if (profiler) await profiler.stop(spec.profile);
  await client.close();

  const { expectedBodyBytes } = require('./raw');
  const expected = expectedBodyBytes(scenario, count);
  if (bytes !== expected) throw new Error(`${spec.client}: read ${bytes} body bytes, expected ${expected}`);
  return {
    client: spec.client,
    scenario: spec.scenario,
    count,
    seconds,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    rssStartBytes: rssStart,
    bodyBytes: bytes,
  };
}

runChild('client', main);

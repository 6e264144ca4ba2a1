#!/usr/bin/env node
// Checks httpio against real servers: nginx (TLS, an HTTP/2-enabled listener,
// certificate failures, client certificates, session resumption, a Unix
// socket), tinyproxy and squid (CONNECT tunnels, proxy authentication).
// Not part of `npm test`: it needs the Debian packages nginx, tinyproxy and
// squid, and starts them itself on free loopback ports.
// Run it with `npm run interop` (which builds dist/ first), or, after a build,
// `node spec/interop/run.js`. docs/testing.md describes it.
//
// Every server is a child process in its own process group, configured in a
// temporary directory; all of them are stopped and the directory removed on
// every way out (success, failure, an exception, SIGINT/SIGTERM). Each wait is
// bounded and the whole run gives up after RUN_LIMIT_MS. The exit code is 1
// when a check failed, 0 otherwise; a server that is not installed makes its
// checks `skip`, not fail.
//
// This file is the entry point; the rest of spec/interop/ is
//   helpers.js    time limits, bounded waits, free ports, log reading, assert
//   processes.js  the temporary directory, child processes, the cleanup
//   context.js    what launchers and checks share: certificates, content, ports, files
//   runner.js     the library under test, check() and its one-line report
//   servers/      startServers() (index.js) and one launcher, with its configuration, per server
//   checks/       the checks, one module per group, run in the order of CHECKS below
'use strict';

const path = require('node:path');
const { describe } = require('./helpers');
const { finish } = require('./processes'); // makes the temporary directory and arms the cleanup

const ROOT = path.resolve(__dirname, '..', '..');

// Each exports one async function that runs its checks, in this order.
const CHECKS = ['checks/nginx-requests.js', 'checks/nginx-connections.js', 'checks/proxies.js'];

/** Where a module that did not load went wrong: a SyntaxError's stack starts with "file:line". */
function where(err) {
  const match = err instanceof Error && typeof err.stack === 'string' ? /(\/[^\s():]+\.js):(\d+)/.exec(err.stack) : null;
  return match ? ` (at ${path.relative(ROOT, match[1])}:${match[2]})` : '';
}

/** require() of one of the run's modules, which names the module (and the line) when it does not load. */
function load(file) {
  try {
    return require(`./${file}`);
  } catch (err) {
    throw new Error(`could not load spec/interop/${file}: ${describe(err)}${where(err)}`);
  }
}

(async () => {
  // Everything is loaded before any server starts, so a module that does not load starts none.
  const { servers, ports } = load('context.js');
  const { startServers } = load('servers/index.js');
  const { counts } = load('runner.js');
  const groups = CHECKS.map((file) => {
    const group = load(file);
    if (typeof group !== 'function') throw new Error(`spec/interop/${file} does not export a function that runs its checks`);
    return group;
  });
  await startServers();
  for (const name of Object.keys(servers)) {
    const s = servers[name];
    if (s.ready) console.log(`# ${name} started (${s.binary})`);
  }
  console.log(
    `# ports: ${Object.entries(ports)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  for (const runGroup of groups) await runGroup();
  console.log(`interop: ${counts.ok} passed, ${counts.fail} failed, ${counts.skip} skipped`);
  await finish(counts.fail > 0 ? 1 : 0);
})().catch((err) => {
  console.log(`FAIL interop run — ${describe(err)}`);
  finish(1);
});

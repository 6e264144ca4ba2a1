// The interop run's temporary directory and the servers it starts as child
// processes, and the cleanup: every child is stopped and the directory (and
// squid's /dev/shm segments) removed on every way out — success, failure, an
// exception, SIGINT/SIGTERM/SIGHUP, or the run limit.
//
// Requiring this module makes the directory and arms the cleanup, so
// spec/interop/run.js requires it before anything that could fail.
'use strict';

const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { RUN_LIMIT_MS, STOP_LIMIT_MS, describe, within } = require('./helpers');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'httpio-interop-'));
const children = [];
const shmPrefixes = []; // squid's shared memory segments in /dev/shm, named after its -n service name
let finishing = null;

function spawnServer(name, command, args, logFile) {
  const out = fs.openSync(logFile, 'a');
  let proc;
  try {
    proc = cp.spawn(command, args, { cwd: tmp, stdio: ['ignore', out, out], detached: true });
  } finally {
    fs.closeSync(out);
  }
  const child = { name, proc, logFile, exit: null };
  child.exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      child.exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
    proc.once('error', (err) => {
      child.exit = `could not be started: ${err.message}`;
      resolve();
    });
  });
  children.push(child);
  return child;
}

/** Signals the child's whole process group (nginx workers, squid helpers), only while the child is alive. */
function signalGroup(child, signal) {
  if (child.exit !== null || child.proc.pid === undefined) return;
  try {
    process.kill(-child.proc.pid, signal);
  } catch {
    try {
      child.proc.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

async function stopChild(child) {
  if (child.exit !== null) return;
  signalGroup(child, 'SIGTERM');
  if (await within(child.exited, STOP_LIMIT_MS)) return;
  signalGroup(child, 'SIGKILL');
  await within(child.exited, 2_000);
}

function removeLeftovers() {
  for (const prefix of shmPrefixes) {
    let names = [];
    try {
      names = fs.readdirSync('/dev/shm');
    } catch {
      /* no /dev/shm */
    }
    for (const n of names) if (n.startsWith(prefix)) fs.rmSync(path.join('/dev/shm', n), { force: true });
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

/** Stops every child, removes the leftovers and exits with `code`; later calls wait for the first. */
function finish(code) {
  if (finishing === null) {
    finishing = (async () => {
      clearTimeout(runLimit);
      await Promise.all(children.map(stopChild));
      removeLeftovers();
      process.exit(code);
    })();
  }
  return finishing;
}

// Last resort when the process leaves by another road: nothing may outlive the run.
process.on('exit', () => {
  for (const child of children) signalGroup(child, 'SIGKILL');
  try {
    removeLeftovers();
  } catch {
    /* best effort */
  }
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (finishing !== null) return; // already stopping the servers
    console.log(`FAIL interop run — interrupted by ${signal}`);
    finish(130);
  });
}
process.on('uncaughtException', (err) => {
  console.log(`FAIL interop run — uncaught ${describe(err)}`);
  finish(1);
});
process.on('unhandledRejection', (err) => {
  console.log(`FAIL interop run — unhandled rejection ${describe(err)}`);
  finish(1);
});
const runLimit = setTimeout(() => {
  console.log(`FAIL interop run — not finished within ${RUN_LIMIT_MS / 1000} s`);
  finish(1);
}, RUN_LIMIT_MS);

module.exports = { tmp, shmPrefixes, spawnServer, finish };

// Small helpers of the interop run (spec/interop/run.js): the time limits and
// bounded waits, free loopback ports, reading the servers' logs, assertions.
// Nothing here knows which servers there are.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const START_LIMIT_MS = 10_000; // a server must accept connections within this
const CHECK_LIMIT_MS = 10_000; // one check, requests and log reads included
const STOP_LIMIT_MS = 5_000; // SIGTERM, then SIGKILL after this
const RUN_LIMIT_MS = 50_000; // the whole run

function describe(err) {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? ` [cause ${cause.code}]` : '';
  return `${err.name}: ${err.message}${code}`;
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether the promise settled within ms (its rejection counts as settled). */
function within(promise, ms) {
  let timer;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise((resolve) => (timer = setTimeout(resolve, ms, false))),
  ]).finally(() => clearTimeout(timer));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

function findBinary(name, extraDirs = []) {
  const dirs = [...(process.env.PATH || '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin', ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

function listenOnce(options) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen({ ...options, exclusive: true }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Free ports on 127.0.0.1 (and on ::1 too, when it exists), all different. */
async function freePorts(count, ipv6) {
  const ports = new Set();
  for (let tries = 0; ports.size < count && tries < 100; tries += 1) {
    const port = await listenOnce({ host: '127.0.0.1', port: 0 });
    if (port === null || ports.has(port)) continue;
    if (ipv6 && (await listenOnce({ host: '::1', port })) === null) continue;
    ports.add(port);
  }
  if (ports.size < count) throw new Error('could not find free loopback ports');
  return [...ports];
}

/** Resolves when the address accepts a connection; rejects when the child exits or the time is up. */
async function waitForListener(child, address, label) {
  const deadline = Date.now() + START_LIMIT_MS;
  for (;;) {
    if (child.exit !== null) throw new Error(`${child.name} ${child.exit} before ${label} accepted connections${logTail(child.logFile)}`);
    const accepted = await new Promise((resolve) => {
      const socket = net.connect(address);
      socket.setTimeout(1_000);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (accepted) return;
    if (Date.now() > deadline)
      throw new Error(`${label} did not accept connections within ${START_LIMIT_MS / 1000} s${logTail(child.logFile)}`);
    await delay(100);
  }
}

function logTail(file, lines = 5) {
  try {
    const text = fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
    return text ? ` (${path.basename(file)}: ${text})` : '';
  } catch {
    return '';
  }
}

function fileSize(file) {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readSince(file, offset) {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/** Polls a log until a line written after `offset` matches; returns the matching lines. */
async function logLinesSince(file, offset, pattern, { atLeast = 1, waitMs = 3_000 } = {}) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lines = readSince(file, offset)
      .split('\n')
      .filter((line) => pattern.test(line));
    if (lines.length >= atLeast || Date.now() > deadline) return lines;
    await delay(50);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function sameBytes(a, b) {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

module.exports = {
  START_LIMIT_MS,
  CHECK_LIMIT_MS,
  STOP_LIMIT_MS,
  RUN_LIMIT_MS,
  describe,
  delay,
  within,
  withTimeout,
  findBinary,
  listenOnce,
  freePorts,
  waitForListener,
  logTail,
  fileSize,
  logLinesSince,
  assert,
  sameBytes,
};

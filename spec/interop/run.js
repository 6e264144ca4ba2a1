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
'use strict';

const cp = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');

const ROOT = path.resolve(__dirname, '..', '..');
const CERTS = path.join(ROOT, 'spec', 'support', 'certs');
const START_LIMIT_MS = 10_000; // a server must accept connections within this
const CHECK_LIMIT_MS = 10_000; // one check, requests and log reads included
const STOP_LIMIT_MS = 5_000; // SIGTERM, then SIGKILL after this
const RUN_LIMIT_MS = 50_000; // the whole run

// ---------------------------------------------------------------- reporting

const counts = { ok: 0, fail: 0, skip: 0 };

function report(kind, name, detail) {
  counts[kind] += 1;
  const label = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' }[kind];
  console.log(`${label} ${name}${detail ? ` — ${detail}` : ''}`);
}

function describe(err) {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? ` [cause ${cause.code}]` : '';
  return `${err.name}: ${err.message}${code}`;
}

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

// ---------------------------------------------------------------- child processes and cleanup

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

// ---------------------------------------------------------------- small helpers

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
    if (Date.now() > deadline) throw new Error(`${label} did not accept connections within ${START_LIMIT_MS / 1000} s${logTail(child.logFile)}`);
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

// ---------------------------------------------------------------- server setup

const ca = fs.readFileSync(path.join(CERTS, 'ca.pem'));
const cert = (name) => path.join(CERTS, name);
const HELLO = 'hello from nginx\n';
const pattern = (length, mul, add) => Buffer.from(Uint8Array.from({ length }, (_, i) => (i * mul + add) & 0xff));
const STATIC = pattern(48 * 1024, 31, 7); // served as /static.bin
const UPLOAD = pattern(100 * 1024, 17, 3); // PUT and read back

const servers = {
  nginx: { package: 'nginx', binary: null, ready: false, error: null },
  tinyproxy: { package: 'tinyproxy', binary: null, ready: false, error: null },
  squid: { package: 'squid', binary: null, ready: false, error: null },
};
const ports = {};
let ipv6Loopback = false; // whether ::1 exists; nginx listens there too then
const files = {
  nginxAccess: path.join(tmp, 'nginx', 'access.log'),
  nginxError: path.join(tmp, 'nginx', 'error.log'),
  nginxSocket: path.join(tmp, 'nginx', 'nginx.sock'),
  tinyproxyLog: path.join(tmp, 'tinyproxy', 'tinyproxy.log'),
  squidAccess: path.join(tmp, 'squid', 'access.log'),
};
const SQUID_USER = 'httpio';
const SQUID_PASSWORD = 'p@ss:w'; // '@' and ':' must be percent-encoded in a URL
const SQUID_PASSWORD_IN_URL = encodeURIComponent(SQUID_PASSWORD); // p%40ss%3Aw

function nginxVersion(binary) {
  const out = cp.spawnSync(binary, ['-v'], { encoding: 'utf8', timeout: 5_000 });
  const match = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(`${out.stderr}${out.stdout}`);
  return match ? match.slice(1, 4).map(Number) : [0, 0, 0];
}

function atLeast(version, wanted) {
  for (let i = 0; i < wanted.length; i += 1) if (version[i] !== wanted[i]) return version[i] > wanted[i];
  return true;
}

async function startNginx(ipv6) {
  const dir = path.join(tmp, 'nginx');
  fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'dav'));
  fs.writeFileSync(path.join(dir, 'www', 'hello.txt'), HELLO);
  fs.writeFileSync(path.join(dir, 'www', 'static.bin'), STATIC);
  const version = nginxVersion(servers.nginx.binary);
  // `http2 on;` exists from nginx 1.25.1; before that HTTP/2 is a listen parameter.
  const h2Directive = atLeast(version, [1, 25, 1]);
  const listen = (port, ssl, h2) => {
    const params = `${ssl ? ' ssl' : ''}${h2 && !h2Directive ? ' http2' : ''}`;
    const lines = [`listen 127.0.0.1:${port}${params};`];
    if (ipv6) lines.push(`listen [::1]:${port}${params};`);
    if (h2 && h2Directive) lines.push('http2 on;');
    return lines.join('\n    ');
  };
  const tlsServer = (port, name, where, extra = '') => `
  server {
    ${listen(port, true, true)}
    server_name localhost;
    ssl_certificate ${cert(`${name}.pem`)};
    ssl_certificate_key ${cert(`${name}-key.pem`)};
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${dir}/www;
    location = /where { return 200 "${where}\\n"; }${extra}
  }`;
  const conf = `${process.getuid && process.getuid() === 0 ? 'user root;\n' : ''}daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${files.nginxError} info;
events { worker_connections 256; }
http {
  log_format interop '$server_port $connection $connection_requests $pipe $request_method "$request_uri" $status $request_length $body_bytes_sent $ssl_session_reused';
  access_log ${files.nginxAccess} interop;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  default_type text/plain;
  types { application/octet-stream bin; text/plain txt; }
  keepalive_requests 1000;
  keepalive_timeout 30s;
  client_max_body_size 8m;
${tlsServer(
  ports.tls,
  'server',
  'tls',
  `
    location = /echo { return 200 "$request_method $content_length\\n"; }
    location /dav/ { root ${dir}; dav_methods PUT DELETE; create_full_put_path on; dav_access user:rw; }`,
)}
${tlsServer(ports.expired, 'expired', 'expired')}
${tlsServer(ports.other, 'other', 'other')}
${tlsServer(
  ports.mtls,
  'server',
  'mtls',
  `
    ssl_verify_client on;
    ssl_client_certificate ${cert('ca.pem')};
    location = /client { return 200 "$ssl_client_s_dn\\n"; }`,
)}
  server {
    ${listen(ports.plain, false, false)}
    root ${dir}/www;
    location = /where { return 200 "plain\\n"; }
  }
  server {
    listen unix:${files.nginxSocket};
    root ${dir}/www;
    location = /where { return 200 "unix\\n"; }
  }
}
`;
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const args = ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf')];
  if (atLeast(version, [1, 19, 5])) args.push('-e', files.nginxError);
  const child = spawnServer('nginx', servers.nginx.binary, args, path.join(dir, 'stderr.log'));
  for (const [label, port] of [
    ['TLS listener', ports.tls],
    ['expired-certificate listener', ports.expired],
    ['other.example listener', ports.other],
    ['client-certificate listener', ports.mtls],
    ['plain listener', ports.plain],
  ]) {
    await waitForListener(child, { host: '127.0.0.1', port }, `nginx ${label} (port ${port})`);
  }
  await waitForListener(child, { path: files.nginxSocket }, `nginx Unix socket ${files.nginxSocket}`);
}

async function startTinyproxy() {
  const dir = path.join(tmp, 'tinyproxy');
  fs.mkdirSync(dir);
  const conf = `Port ${ports.tinyproxy}
Listen 127.0.0.1
Timeout 30
MaxClients 50
LogFile "${files.tinyproxyLog}"
LogLevel Info
PidFile "${dir}/tinyproxy.pid"
Allow 127.0.0.1
# CONNECT only to the nginx TLS and plain listeners; the others are refused (403).
ConnectPort ${ports.tls}
ConnectPort ${ports.plain}
`;
  fs.writeFileSync(path.join(dir, 'tinyproxy.conf'), conf);
  const child = spawnServer('tinyproxy', servers.tinyproxy.binary, ['-d', '-c', path.join(dir, 'tinyproxy.conf')], path.join(dir, 'stderr.log'));
  await waitForListener(child, { host: '127.0.0.1', port: ports.tinyproxy }, `tinyproxy (port ${ports.tinyproxy})`);
}

/** uid and gid of a system user from /etc/passwd, or null. */
function systemUser(name) {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[0] === name) return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
    }
  } catch {
    /* no /etc/passwd */
  }
  return null;
}

async function startSquid(helper) {
  const dir = path.join(tmp, 'squid');
  fs.mkdirSync(dir);
  // basic_ncsa_auth takes crypt(3), MD5 and Apache's apr1 hashes; openssl makes an apr1 one.
  const hash = cp.execFileSync('openssl', ['passwd', '-apr1', '-stdin'], { input: SQUID_PASSWORD, encoding: 'utf8', timeout: 5_000 }).trim();
  fs.writeFileSync(path.join(dir, 'passwd'), `${SQUID_USER}:${hash}\n`);
  // Squid refuses to run as root: started as root, it switches to cache_effective_user,
  // which must be able to reach and write its directory.
  let effectiveUser = '';
  if (process.getuid && process.getuid() === 0) {
    const user = systemUser('proxy') || systemUser('nobody');
    if (user === null) throw new Error('squid runs as an unprivileged user, and neither "proxy" nor "nobody" exists');
    effectiveUser = `cache_effective_user ${user.name}\n`;
    fs.chmodSync(tmp, 0o755);
    for (const f of [dir, path.join(dir, 'passwd')]) fs.chownSync(f, user.uid, user.gid);
  }
  const service = `httpio${process.pid}`; // names its /dev/shm segments, so runs never share them
  shmPrefixes.push(`${service}-`);
  const conf = `http_port 127.0.0.1:${ports.squid}
${effectiveUser}pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log stdio:${files.squidAccess}
cache_store_log none
logfile_rotate 0
coredump_dir ${dir}
cache deny all
cache_mem 8 MB
shutdown_lifetime 0 seconds
visible_hostname localhost
pinger_enable off
dns_nameservers 127.0.0.1
auth_param basic program ${helper} ${dir}/passwd
auth_param basic children 2 startup=1
auth_param basic realm httpio interop
acl authenticated proxy_auth REQUIRED
acl nginx_ports port ${ports.tls} ${ports.plain}
acl CONNECT method CONNECT
http_access deny CONNECT !nginx_ports
http_access allow authenticated
http_access deny all
`;
  fs.writeFileSync(path.join(dir, 'squid.conf'), conf);
  const child = spawnServer('squid', servers.squid.binary, ['-N', '-d1', '-n', service, '-f', path.join(dir, 'squid.conf')], path.join(dir, 'stderr.log'));
  await waitForListener(child, { host: '127.0.0.1', port: ports.squid }, `squid (port ${ports.squid})`);
}

async function startServers() {
  const ipv6 = (await listenOnce({ host: '::1', port: 0 })) !== null;
  [ports.tls, ports.expired, ports.other, ports.mtls, ports.plain, ports.tinyproxy, ports.squid] = await freePorts(7, ipv6);
  ipv6Loopback = ipv6;
  servers.nginx.binary = findBinary('nginx');
  servers.tinyproxy.binary = findBinary('tinyproxy');
  servers.squid.binary = findBinary('squid');
  const squidHelper = ['/usr/lib/squid/basic_ncsa_auth', '/usr/lib/squid3/basic_ncsa_auth', '/usr/libexec/squid/basic_ncsa_auth'].find((f) => fs.existsSync(f));
  if (servers.squid.binary && !squidHelper) {
    servers.squid.binary = null;
    servers.squid.missing = 'squid is installed without basic_ncsa_auth';
  }
  const start = async (name, fn) => {
    if (!servers[name].binary) return;
    try {
      await fn();
      servers[name].ready = true;
    } catch (err) {
      servers[name].error = err instanceof Error ? err.message : String(err);
    }
  };
  await Promise.all([
    start('nginx', () => startNginx(ipv6)),
    start('tinyproxy', startTinyproxy),
    start('squid', () => startSquid(squidHelper)),
  ]);
}

// ---------------------------------------------------------------- checks

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

async function runChecks() {
  const https = () => `https://localhost:${ports.tls}`;
  const trusted = { tls: { ca } };

  await check('nginx offers h2 over ALPN (control: a Node TLS client asking for h2 gets it)', ['nginx'], async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: ports.tls, servername: 'localhost', ca, ALPNProtocols: ['h2', 'http/1.1'] });
    try {
      await withTimeout(new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject)), 5_000, 'TLS handshake');
      assert(socket.alpnProtocol === 'h2', `ALPN chose ${socket.alpnProtocol}, not h2`);
    } finally {
      socket.destroy();
    }
    return 'ALPN h2';
  });

  await check('nginx TLS (HTTP/2 enabled): GET answers over HTTP/1.1', ['nginx'], async () => {
    const conn = connect(https(), trusted);
    const res = await get(conn, '/hello.txt');
    assert(res.status === 200, `status ${res.status}`);
    assert(res.version === '1.1', `version ${res.version}`);
    assert(res.text() === HELLO, `body ${JSON.stringify(res.text())}`);
    return `${res.status}, HTTP/${res.version}, ${res.headers.get('server')}`;
  });

  await check('nginx TLS: 20 pipelined GETs on one connection', ['nginx'], async () => {
    const mark = fileSize(files.nginxAccess);
    const conn = connect(https(), trusted);
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => get(conn, `/static.bin?check=pipe&i=${i}`)));
    all.forEach((res, i) => {
      assert(res.status === 200 && res.version === '1.1', `request ${i}: ${res.status} HTTP/${res.version}`);
      assert(sameBytes(res.body, STATIC), `request ${i}: ${res.body.length} bytes, not the ${STATIC.length} of static.bin`);
    });
    await conn.close();
    const lines = await logLinesSince(files.nginxAccess, mark, /check=pipe&i=/, { atLeast: 20 });
    assert(lines.length === 20, `nginx logged ${lines.length} of the 20 requests`);
    const connections = new Set(lines.map((line) => line.split(' ')[1]));
    assert(connections.size === 1, `nginx saw them on ${connections.size} connections`);
    const pipelined = lines.filter((line) => line.split(' ')[3] === 'p').length;
    assert(pipelined > 0, 'nginx saw no request arrive pipelined ($pipe was "." for all 20)');
    return `${STATIC.length} bytes each, 1 connection, ${pipelined} of 20 arrived pipelined`;
  });

  await check('nginx TLS: POST and PUT with a body, then GET it back', ['nginx'], async () => {
    const conn = connect(https(), trusted);
    const post = await rxjs.firstValueFrom(conn.fetch('POST', '/echo', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=httpio' }));
    assert(post.status === 200 && post.text() === 'POST 11\n', `POST /echo: ${post.status} ${JSON.stringify(post.text())}`);
    const put = await rxjs.firstValueFrom(conn.fetch('PUT', '/dav/put.bin', { body: UPLOAD }));
    assert(put.status === 201 || put.status === 204, `PUT: ${put.status}`);
    const back = await get(conn, '/dav/put.bin');
    assert(back.status === 200 && sameBytes(back.body, UPLOAD), `GET back: ${back.status}, ${back.body.length} bytes`);
    return `POST 200, PUT ${put.status}, ${UPLOAD.length} bytes read back intact`;
  });

  await check('nginx TLS: PUT with Expect: 100-continue', ['nginx'], async () => {
    const conn = connect(https(), trusted);
    const started = Date.now();
    const seen = await events(conn, 'PUT', '/dav/expect.bin', { body: UPLOAD, expect100: true });
    const elapsed = Date.now() - started;
    const interim = seen.filter((e) => e.type === 'informational').map((e) => e.status);
    const head = seen.find((e) => e.type === 'head');
    assert(interim.includes(100), `no 100 Continue event (informational: ${JSON.stringify(interim)})`);
    assert(head && (head.status === 201 || head.status === 204), `final status ${head && head.status}`);
    const back = await get(conn, '/dav/expect.bin');
    assert(back.status === 200 && sameBytes(back.body, UPLOAD), `GET back: ${back.status}, ${back.body.length} bytes`);
    return `100 Continue, then ${head.status} in ${elapsed} ms; body read back intact`;
  });

  await check('nginx TLS: HEAD, then GET on the same connection', ['nginx'], async () => {
    const conn = connect(https(), trusted);
    const [head, after] = await Promise.all([rxjs.firstValueFrom(conn.fetch('HEAD', '/hello.txt')), get(conn, '/hello.txt')]);
    assert(head.status === 200, `HEAD status ${head.status}`);
    assert(head.body.length === 0, `HEAD body of ${head.body.length} bytes`);
    assert(head.headers.get('content-length') === String(HELLO.length), `HEAD content-length ${head.headers.get('content-length')}`);
    assert(after.status === 200 && after.text() === HELLO, `GET after HEAD: ${after.status} ${JSON.stringify(after.text())}`);
    return `HEAD 200 with content-length ${HELLO.length} and no body`;
  });

  await check('nginx TLS: expired certificate -> ConnectError', ['nginx'], async () => {
    const conn = connect(`https://localhost:${ports.expired}`, trusted);
    return expectConnectError(conn, '/hello.txt', (err) => {
      assert(err.cause && err.cause.code === 'CERT_HAS_EXPIRED', `cause code ${err.cause && err.cause.code}`);
      assert(err.message.includes('localhost'), `message does not name the host: ${err.message}`);
    });
  });

  await check('nginx TLS: certificate for other.example -> ConnectError', ['nginx'], async () => {
    const conn = connect(`https://localhost:${ports.other}`, trusted);
    return expectConnectError(conn, '/hello.txt', (err) => {
      assert(err.cause && err.cause.code === 'ERR_TLS_CERT_ALTNAME_INVALID', `cause code ${err.cause && err.cause.code}`);
      assert(err.message.includes('localhost'), `message does not name the host: ${err.message}`);
    });
  });

  await check('nginx TLS: no tls.ca (untrusted CA) -> ConnectError', ['nginx'], async () => {
    const conn = connect(https());
    const untrusted = ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN'];
    return expectConnectError(conn, '/hello.txt', (err) => {
      assert(err.cause && untrusted.includes(err.cause.code), `cause code ${err.cause && err.cause.code}`);
      assert(err.message.includes('localhost'), `message does not name the host: ${err.message}`);
    });
  });

  await check('nginx TLS: rejectUnauthorized: false accepts the expired and other.example certificates', ['nginx'], async () => {
    for (const [port, where] of [
      [ports.expired, 'expired'],
      [ports.other, 'other'],
    ]) {
      const conn = connect(`https://localhost:${port}`, { tls: { rejectUnauthorized: false } });
      const res = await get(conn, '/where');
      assert(res.status === 200 && res.text() === `${where}\n`, `port ${port}: ${res.status} ${JSON.stringify(res.text())}`);
    }
    return 'both answer 200';
  });

  await check('nginx TLS: an IP-address origin (no SNI; the certificate names the IP)', ['nginx'], async () => {
    const origins = [`https://127.0.0.1:${ports.tls}`, ...(ipv6Loopback ? [`https://[::1]:${ports.tls}`] : [])];
    for (const origin of origins) {
      const res = await get(connect(origin, trusted), '/where');
      assert(res.status === 200 && res.text() === 'tls\n', `${origin}: ${res.status} ${JSON.stringify(res.text())}`);
    }
    return origins.join(', ');
  });

  await check('nginx TLS: tls.servername other.example for the other.example certificate', ['nginx'], async () => {
    const conn = connect(`https://localhost:${ports.other}`, { tls: { ca, servername: 'other.example' } });
    const res = await get(conn, '/where');
    assert(res.status === 200 && res.text() === 'other\n', `${res.status} ${JSON.stringify(res.text())}`);
    return 'verified against other.example';
  });

  await check('nginx TLS: client certificate (tls.cert, tls.key) for a server that requires one', ['nginx'], async () => {
    const withCert = connect(`https://localhost:${ports.mtls}`, { tls: { ca, cert: fs.readFileSync(cert('client.pem')), key: fs.readFileSync(cert('client-key.pem')) } });
    const res = await get(withCert, '/client');
    assert(res.status === 200 && res.text().includes('httpio test client'), `${res.status} ${JSON.stringify(res.text())}`);
    // nginx completes the handshake without a certificate and answers 400 itself.
    const without = await get(connect(`https://localhost:${ports.mtls}`, trusted), '/client');
    assert(without.status === 400, `without a certificate: ${without.status}, not nginx's 400`);
    return `nginx saw ${res.text().trim()}; without a certificate 400`;
  });

  await check('nginx TLS: the next connection resumes the TLS session', ['nginx'], async () => {
    const mark = fileSize(files.nginxAccess);
    const conn = connect(https(), trusted);
    // Connection: close ends the first socket; the second request needs a new one.
    const first = await get(conn, '/hello.txt?check=resume&n=1', { headers: { connection: 'close' } });
    const second = await get(conn, '/hello.txt?check=resume&n=2');
    assert(first.status === 200 && second.status === 200, `statuses ${first.status}, ${second.status}`);
    const lines = await logLinesSince(files.nginxAccess, mark, /check=resume&n=/, { atLeast: 2 });
    assert(lines.length === 2, `nginx logged ${lines.length} of the 2 requests`);
    const [a, b] = lines.map((line) => line.split(' '));
    assert(a[1] !== b[1], 'both requests went on one connection');
    assert(b[b.length - 1] === 'r', `$ssl_session_reused on the second connection is ${JSON.stringify(b[b.length - 1])}, not "r"`);
    return 'second handshake resumed ($ssl_session_reused "r")';
  });

  await check('nginx TLS: https: to a plain-HTTP port -> ConnectError', ['nginx'], async () => {
    const conn = connect(`https://localhost:${ports.plain}`, trusted);
    return expectConnectError(conn, '/hello.txt', (err) => {
      assert(err.message.includes('localhost'), `message does not name the host: ${err.message}`);
    });
  });

  await check('nginx Unix socket: socketPath', ['nginx'], async () => {
    const conn = connect('http://localhost', { socketPath: files.nginxSocket });
    const all = await Promise.all([get(conn, '/where'), ...Array.from({ length: 5 }, () => get(conn, '/hello.txt'))]);
    assert(all[0].status === 200 && all[0].text() === 'unix\n', `/where: ${all[0].status} ${JSON.stringify(all[0].text())}`);
    for (const res of all.slice(1)) assert(res.status === 200 && res.text() === HELLO, `/hello.txt: ${res.status} ${JSON.stringify(res.text())}`);
    return `6 pipelined GETs answered by the unix: listener`;
  });

  const viaTinyproxy = async (origin, where) => {
    const mark = fileSize(files.tinyproxyLog);
    const port = Number(new URL(origin).port);
    const conn = connect(origin, { ...(origin.startsWith('https:') ? trusted : {}), proxy: `http://127.0.0.1:${ports.tinyproxy}` });
    const all = await Promise.all([get(conn, '/where'), get(conn, '/hello.txt'), get(conn, '/hello.txt')]);
    assert(all[0].status === 200 && all[0].text() === `${where}\n`, `/where: ${all[0].status} ${JSON.stringify(all[0].text())}`);
    for (const res of all.slice(1)) assert(res.status === 200 && res.text() === HELLO, `/hello.txt: ${res.status}`);
    assert(all.every((res) => res.version === '1.1'), 'a response was not HTTP/1.1');
    const lines = await logLinesSince(files.tinyproxyLog, mark, new RegExp(`CONNECT \\S+:${port} HTTP`));
    assert(lines.length > 0, `tinyproxy logged no CONNECT to port ${port}: the request did not go through the proxy`);
    return `3 pipelined GETs through the tunnel (${lines[0].replace(/^.*(CONNECT \S+).*$/, '$1')})`;
  };
  await check('tinyproxy: CONNECT tunnel to the nginx https: origin', ['nginx', 'tinyproxy'], () => viaTinyproxy(https(), 'tls'));
  await check('tinyproxy: CONNECT tunnel to the nginx http: origin', ['nginx', 'tinyproxy'], () => viaTinyproxy(`http://localhost:${ports.plain}`, 'plain'));
  await check('tinyproxy: CONNECT to a port it does not allow -> ConnectError', ['nginx', 'tinyproxy'], async () => {
    const conn = connect(`https://localhost:${ports.expired}`, { ...trusted, proxy: `http://127.0.0.1:${ports.tinyproxy}` });
    return expectConnectError(conn, '/hello.txt', (err) => {
      assert(/(^|\D)403(\D|$)/.test(err.message), `message does not name the status 403: ${err.message}`);
    });
  });

  const squidProxy = (userinfo) => `http://${userinfo}127.0.0.1:${ports.squid}`;
  const viaSquid = async (origin, where) => {
    const mark = fileSize(files.squidAccess);
    const port = Number(new URL(origin).port);
    const conn = connect(origin, { ...(origin.startsWith('https:') ? trusted : {}), proxy: squidProxy(`${SQUID_USER}:${SQUID_PASSWORD_IN_URL}@`) });
    const all = await Promise.all([get(conn, '/where'), get(conn, '/hello.txt')]);
    assert(all[0].status === 200 && all[0].text() === `${where}\n`, `/where: ${all[0].status} ${JSON.stringify(all[0].text())}`);
    assert(all[1].status === 200 && all[1].text() === HELLO, `/hello.txt: ${all[1].status}`);
    await conn.close();
    // squid logs a tunnel when it ends
    const lines = await logLinesSince(files.squidAccess, mark, new RegExp(`TCP_TUNNEL/200 .*CONNECT \\S+:${port} ${SQUID_USER} `));
    assert(lines.length > 0, `squid logged no authenticated tunnel to port ${port}${logTail(files.squidAccess, 2)}`);
    return `authenticated as ${SQUID_USER} (password ${SQUID_PASSWORD_IN_URL} in the URL)`;
  };
  await check('squid: CONNECT with basic auth to the nginx https: origin', ['nginx', 'squid'], () => viaSquid(https(), 'tls'));
  await check('squid: CONNECT with basic auth to the nginx http: origin', ['nginx', 'squid'], () => viaSquid(`http://localhost:${ports.plain}`, 'plain'));
  const proxyAuthRequired = (err) => assert(/(^|\D)407(\D|$)|proxy authentication required/i.test(err.message), `message names neither 407 nor proxy authentication: ${err.message}`);
  await check('squid: no credentials -> ConnectError 407', ['nginx', 'squid'], async () => {
    const conn = connect(https(), { ...trusted, proxy: squidProxy('') });
    return expectConnectError(conn, '/hello.txt', proxyAuthRequired);
  });
  await check('squid: wrong password -> ConnectError 407', ['nginx', 'squid'], async () => {
    const conn = connect(https(), { ...trusted, proxy: squidProxy(`${SQUID_USER}:wrong@`) });
    return expectConnectError(conn, '/hello.txt', proxyAuthRequired);
  });

  const withEnv = (vars, fn) => {
    const names = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    for (const n of names) delete process.env[n];
    Object.assign(process.env, vars);
    try {
      return fn();
    } finally {
      for (const n of names) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
  };
  const envProxy = 'http://127.0.0.1:3128';
  await check('proxyFromEnv: HTTPS_PROXY applies to an https: origin', [], async () => {
    assert(typeof httpio.proxyFromEnv === 'function', 'proxyFromEnv is not exported');
    const got = withEnv({ HTTPS_PROXY: envProxy }, () => httpio.proxyFromEnv(`https://localhost:${ports.tls}`));
    assert(got === envProxy, `got ${JSON.stringify(got)}`);
    return `HTTPS_PROXY=${envProxy} -> ${JSON.stringify(got)}`;
  });
  await check('proxyFromEnv: NO_PROXY=localhost turns it off', [], async () => {
    assert(typeof httpio.proxyFromEnv === 'function', 'proxyFromEnv is not exported');
    const got = withEnv({ HTTPS_PROXY: envProxy, NO_PROXY: 'localhost' }, () => httpio.proxyFromEnv(`https://localhost:${ports.tls}`));
    assert(got === undefined, `got ${JSON.stringify(got)}`);
    return 'undefined';
  });
}

// ---------------------------------------------------------------- main

(async () => {
  await startServers();
  for (const name of Object.keys(servers)) {
    const s = servers[name];
    if (s.ready) console.log(`# ${name} started (${s.binary})`);
  }
  console.log(`# ports: ${Object.entries(ports).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  await runChecks();
  console.log(`interop: ${counts.ok} passed, ${counts.fail} failed, ${counts.skip} skipped`);
  await finish(counts.fail > 0 ? 1 : 0);
})().catch((err) => {
  console.log(`FAIL interop run — ${describe(err)}`);
  finish(1);
});

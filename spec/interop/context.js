// What the server launchers (spec/interop/servers/) and the checks
// (spec/interop/checks/) share: the fixture certificates, the content nginx
// serves, squid's credentials, and the state of the run — which servers are
// installed and started, their ports, and their files in the temporary
// directory.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { tmp } = require('./processes');

const ROOT = path.resolve(__dirname, '..', '..');
const CERTS = path.join(ROOT, 'spec', 'support', 'certs');

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
const ports = {}; // filled in by startServers(), in the order the run prints them
const loopback = { ipv6: false }; // whether ::1 exists; nginx listens there too then
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

/** The nginx TLS origin, and the options that trust its certificate. */
const https = () => `https://localhost:${ports.tls}`;
const trusted = { tls: { ca } };

module.exports = {
  ROOT,
  ca,
  cert,
  HELLO,
  STATIC,
  UPLOAD,
  servers,
  ports,
  loopback,
  files,
  SQUID_USER,
  SQUID_PASSWORD,
  SQUID_PASSWORD_IN_URL,
  https,
  trusted,
};

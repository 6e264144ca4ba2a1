// Starts the interop run's servers: picks free loopback ports, finds the
// binaries, and starts nginx, tinyproxy and squid side by side. A server that
// is not installed is left with `binary: null` (its checks skip); one that does
// not start keeps its error (its checks fail with it).
'use strict';

const fs = require('node:fs');
const { findBinary, freePorts, listenOnce } = require('../helpers');
const { servers, ports, loopback } = require('../context');
const { startNginx } = require('./nginx');
const { startTinyproxy } = require('./tinyproxy');
const { startSquid } = require('./squid');

async function startServers() {
  const ipv6 = (await listenOnce({ host: '::1', port: 0 })) !== null;
  [ports.tls, ports.expired, ports.other, ports.mtls, ports.plain, ports.tinyproxy, ports.squid] = await freePorts(7, ipv6);
  loopback.ipv6 = ipv6;
  servers.nginx.binary = findBinary('nginx');
  servers.tinyproxy.binary = findBinary('tinyproxy');
  servers.squid.binary = findBinary('squid');
  const squidHelper = ['/usr/lib/squid/basic_ncsa_auth', '/usr/lib/squid3/basic_ncsa_auth', '/usr/libexec/squid/basic_ncsa_auth'].find(
    (f) => fs.existsSync(f),
  );
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

module.exports = { startServers };

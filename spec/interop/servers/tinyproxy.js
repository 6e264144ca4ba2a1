// Starts tinyproxy for the interop run, in the foreground (-d), as a CONNECT
// proxy that may tunnel only to the nginx TLS and plain listeners.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { tmp, spawnServer } = require('../processes');
const { waitForListener } = require('../helpers');
const { servers, ports, files } = require('../context');

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
  const child = spawnServer(
    'tinyproxy',
    servers.tinyproxy.binary,
    ['-d', '-c', path.join(dir, 'tinyproxy.conf')],
    path.join(dir, 'stderr.log'),
  );
  await waitForListener(child, { host: '127.0.0.1', port: ports.tinyproxy }, `tinyproxy (port ${ports.tinyproxy})`);
}

module.exports = { startTinyproxy };

// Starts squid for the interop run, in the foreground (-N) with a service name
// of its own (-n, which names its /dev/shm segments), as a CONNECT proxy with
// basic authentication (basic_ncsa_auth and an apr1 password file) that may
// tunnel only to the nginx TLS and plain listeners. Started as root, it runs as
// the `proxy` user (`nobody` where there is none).
'use strict';

const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { tmp, shmPrefixes, spawnServer } = require('../processes');
const { waitForListener } = require('../helpers');
const { servers, ports, files, SQUID_USER, SQUID_PASSWORD } = require('../context');

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
  const hash = cp
    .execFileSync('openssl', ['passwd', '-apr1', '-stdin'], { input: SQUID_PASSWORD, encoding: 'utf8', timeout: 5_000 })
    .trim();
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
  const child = spawnServer(
    'squid',
    servers.squid.binary,
    ['-N', '-d1', '-n', service, '-f', path.join(dir, 'squid.conf')],
    path.join(dir, 'stderr.log'),
  );
  await waitForListener(child, { host: '127.0.0.1', port: ports.squid }, `squid (port ${ports.squid})`);
}

module.exports = { startSquid };

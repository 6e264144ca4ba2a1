// Starts nginx for the interop run: its configuration, written into the
// temporary directory, has TLS listeners (HTTP/2 enabled, h2 offered over
// ALPN) with the fixture certificates — good, expired, for other.example, and
// one that requires a client certificate — a plain-HTTP listener and a
// `listen unix:` one, on 127.0.0.1 and ::1 where it exists.
'use strict';

const cp = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { tmp, spawnServer } = require('../processes');
const { waitForListener } = require('../helpers');
const { cert, HELLO, STATIC, servers, ports, files } = require('../context');

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

module.exports = { startNginx };

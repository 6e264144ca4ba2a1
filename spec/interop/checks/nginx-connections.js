// Interop checks against nginx, of how httpio connects: certificate failures
// as ConnectError and rejectUnauthorized: false, IP-address origins,
// tls.servername, a client certificate, TLS session resumption, https: to a
// plain-HTTP port, and socketPath to a Unix socket.
'use strict';

const fs = require('node:fs');
const { assert, fileSize, logLinesSince } = require('../helpers');
const { ca, cert, HELLO, ports, loopback, files, https, trusted } = require('../context');
const { check, connect, get, expectConnectError } = require('../runner');

module.exports = async function nginxConnectionChecks() {
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
    const origins = [`https://127.0.0.1:${ports.tls}`, ...(loopback.ipv6 ? [`https://[::1]:${ports.tls}`] : [])];
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
    const withCert = connect(`https://localhost:${ports.mtls}`, {
      tls: { ca, cert: fs.readFileSync(cert('client.pem')), key: fs.readFileSync(cert('client-key.pem')) },
    });
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
    for (const res of all.slice(1))
      assert(res.status === 200 && res.text() === HELLO, `/hello.txt: ${res.status} ${JSON.stringify(res.text())}`);
    return `6 pipelined GETs answered by the unix: listener`;
  });
};

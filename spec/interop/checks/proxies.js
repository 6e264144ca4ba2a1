// Interop checks of httpio's `proxy` option through real proxies, to the nginx
// origins: tinyproxy (CONNECT tunnels, its log must show the CONNECT; a port it
// does not allow is 403) and squid with basic authentication (credentials in
// the proxy URL; none, or a wrong password, is 407); then proxyFromEnv().
'use strict';

const { assert, fileSize, logLinesSince, logTail } = require('../helpers');
const { HELLO, ports, files, SQUID_USER, SQUID_PASSWORD_IN_URL, https, trusted } = require('../context');
const { httpio, check, connect, get, expectConnectError } = require('../runner');

module.exports = async function proxyChecks() {
  const viaTinyproxy = async (origin, where) => {
    const mark = fileSize(files.tinyproxyLog);
    const port = Number(new URL(origin).port);
    const conn = connect(origin, { ...(origin.startsWith('https:') ? trusted : {}), proxy: `http://127.0.0.1:${ports.tinyproxy}` });
    const all = await Promise.all([get(conn, '/where'), get(conn, '/hello.txt'), get(conn, '/hello.txt')]);
    assert(all[0].status === 200 && all[0].text() === `${where}\n`, `/where: ${all[0].status} ${JSON.stringify(all[0].text())}`);
    for (const res of all.slice(1)) assert(res.status === 200 && res.text() === HELLO, `/hello.txt: ${res.status}`);
    assert(
      all.every((res) => res.version === '1.1'),
      'a response was not HTTP/1.1',
    );
    const lines = await logLinesSince(files.tinyproxyLog, mark, new RegExp(`CONNECT \\S+:${port} HTTP`));
    assert(lines.length > 0, `tinyproxy logged no CONNECT to port ${port}: the request did not go through the proxy`);
    return `3 pipelined GETs through the tunnel (${lines[0].replace(/^.*(CONNECT \S+).*$/, '$1')})`;
  };
  await check('tinyproxy: CONNECT tunnel to the nginx https: origin', ['nginx', 'tinyproxy'], () => viaTinyproxy(https(), 'tls'));
  await check('tinyproxy: CONNECT tunnel to the nginx http: origin', ['nginx', 'tinyproxy'], () =>
    viaTinyproxy(`http://localhost:${ports.plain}`, 'plain'),
  );
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
    const conn = connect(origin, {
      ...(origin.startsWith('https:') ? trusted : {}),
      proxy: squidProxy(`${SQUID_USER}:${SQUID_PASSWORD_IN_URL}@`),
    });
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
  await check('squid: CONNECT with basic auth to the nginx http: origin', ['nginx', 'squid'], () =>
    viaSquid(`http://localhost:${ports.plain}`, 'plain'),
  );
  const proxyAuthRequired = (err) =>
    assert(
      /(^|\D)407(\D|$)|proxy authentication required/i.test(err.message),
      `message names neither 407 nor proxy authentication: ${err.message}`,
    );
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
};

// Interop checks against nginx over TLS, of what goes over one connection:
// HTTP/1.1 from a server that offers h2, pipelined GETs (nginx's log must show
// them pipelined), request bodies, Expect: 100-continue, HEAD.
'use strict';

const tls = require('node:tls');
const { assert, fileSize, logLinesSince, sameBytes, withTimeout } = require('../helpers');
const { ca, HELLO, STATIC, UPLOAD, ports, files, https, trusted } = require('../context');
const { rxjs, check, connect, get, events } = require('../runner');

module.exports = async function nginxRequestChecks() {
  await check('nginx offers h2 over ALPN (control: a Node TLS client asking for h2 gets it)', ['nginx'], async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: ports.tls, servername: 'localhost', ca, ALPNProtocols: ['h2', 'http/1.1'] });
    try {
      await withTimeout(
        new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject)),
        5_000,
        'TLS handshake',
      );
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
    const post = await rxjs.firstValueFrom(
      conn.fetch('POST', '/echo', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=httpio' }),
    );
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
};

// Each spec here reproduced a defect found in review; they stay so that none comes back.
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { Observable, firstValueFrom, from, tap } from 'rxjs';
import { MAX_OBSERVABLE_BACKLOG, writeBody } from '../../lib/connection/body';
import { HttpConnection } from '../../lib/connection/connection';
import { ConnectError, ConnectionClosed, RequestError, ResponseTimeout } from '../../lib/errors';
import { writeTo } from '../../lib';
import { FakeWire } from '../support/fake-wire';
import { countRequests, delay, settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';
import { generate, read } from '../support/scripts';
import { tearDown } from '../support/fixture';

/** A settle() that never rejects: a hang shows as `undefined`, not as an unhandled rejection. */
function outcomeOf<T>(promise: ReturnType<typeof settle<T>>) {
  return promise.catch(() => undefined);
}

describe('HttpConnection regressions', () => {
  let server: ScriptServer | undefined;
  let conn: HttpConnection | undefined;
  let raw: net.Server | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    if (raw !== undefined) await new Promise((resolve) => raw!.close(resolve));
    server = conn = raw = undefined;
  });

  it('fails the re-sendable requests too when destroy() is called from an error that an announced close causes', async () => {
    server = await ScriptServer.start(async (c) => {
      if (c.index > 0) return;
      await read(c, 3);
      await c.write(response(200, 'first', { Connection: 'close' }));
      await c.end();
    });
    conn = new HttpConnection(server.url);
    const c = conn;
    const first = outcomeOf(settle(conn.fetch('GET', '/a'), 1000));
    // Its streamed body is spent, so unwriteBehind() fails it; its caller gives up on the connection.
    conn.request('PUT', '/b', { body: generate(['x']) }).subscribe({ error: () => c.destroy() });
    const behind = outcomeOf(settle(conn.fetch('GET', '/c'), 1000));
    await first;
    await delay(50);
    // destroy() has run: nothing may be pending any more.
    expect(conn.pending).toBe(0);
    const outcome = await behind;
    // Before the fix: /c is put back in the queue of a destroyed connection and never settles.
    expect(outcome).withContext('the request behind never settled').toBeDefined();
    expect(outcome?.error).toBeInstanceOf(ConnectionClosed);
  });

  it('still sends the first request alone after an unannounced close when the reconnect failed once', async () => {
    server = await ScriptServer.start(async (c) => {
      await read(c, 2);
      // Closes without warning, and stops listening: the reconnect is refused.
      await server!.close();
    });
    const port = server.port;
    conn = new HttpConnection(server.url, { maxPipelined: 2 });
    const lost = await Promise.all(['/1', '/2', '/3'].map((p) => settle(conn!.fetch('GET', p))));
    expect(lost.map((o) => (o.error as Error)?.name)).toEqual(['ConnectionClosed', 'ConnectionClosed', 'ConnectError']);
    expect(lost[2].error).toBeInstanceOf(ConnectError);

    // The same server comes back; it answers each request 30 ms after it arrives.
    const seenAtFirstAnswer: number[] = [];
    raw = net.createServer((socket) => {
      let received = '';
      let answered = 0;
      socket.on('error', () => undefined);
      socket.on('data', (data) => {
        received += data.toString('latin1');
        const count = countRequests(Buffer.from(received, 'latin1'));
        for (; answered < count; answered++) {
          setTimeout(() => {
            if (seenAtFirstAnswer.length === 0) seenAtFirstAnswer.push(countRequests(Buffer.from(received, 'latin1')));
            if (!socket.destroyed) socket.write(response(200, 'ok'));
          }, 30);
        }
      });
    });
    await new Promise<void>((resolve) => raw!.listen(port, '127.0.0.1', resolve));
    const retried = await Promise.all(['/4', '/5'].map((p) => settle(conn!.fetch('GET', p))));
    expect(retried.map((o) => o.values[0]?.text())).toEqual(['ok', 'ok']);
    // RFC 9112 §9.3.2: the server closed without warning, so the first request goes alone.
    expect(seenAtFirstAnswer).toEqual([1]);
  });

  it('does not leave the connection paused for good when the sink of writeTo() is destroyed', async () => {
    server = await ScriptServer.respondEach((req) => response(200, req.path === '/file' ? 'x'.repeat(100) : req.path));
    conn = new HttpConnection(server.url);
    // Full after one byte; nobody reads it, and then it is destroyed: it will never emit 'drain'.
    const sink = new PassThrough({ highWaterMark: 1 });
    sink.on('error', () => undefined);
    const file = await settle(conn.request('GET', '/file').pipe(writeTo(sink)), 1000);
    expect(file.completed).toBeTrue();
    sink.destroy();
    const next = await outcomeOf(settle(conn.fetch('GET', '/next'), 1000));
    // Before the fix: the pause taken for the sink is never lifted; /next is never read, and no timeout runs while paused.
    expect(next).withContext('the next request never settled').toBeDefined();
    expect(next?.values[0]?.text()).toBe('/next');
  });

  it('keeps an idle connection whose Keep-Alive timeout is longer than a timer can wait', async () => {
    // 2,200,000 s is past setTimeout's 2^31-1 ms; Node then fires the timer after 1 ms.
    server = await ScriptServer.respondEach((req) => response(200, req.path, { 'Keep-Alive': 'timeout=2200000' }));
    conn = new HttpConnection(server.url);
    await firstValueFrom(conn.fetch('GET', '/1'));
    await delay(30);
    await firstValueFrom(conn.fetch('GET', '/2'));
    expect(server.connections.length).toBe(1);
  });

  it('errors with ResponseTimeout on time while new requests keep being subscribed', async () => {
    server = await ScriptServer.start(async (c) => {
      // Reads requests, never answers.
      while (
        await c.nextRequest(Infinity).then(
          () => true,
          () => false,
        )
      );
    });
    conn = new HttpConnection(server.url, { timeout: 200, maxPipelined: 1 });
    const started = Date.now();
    let settledAt = 0;
    const first = outcomeOf(settle(conn.fetch('GET', '/stalled'), 3000)).then((o) => {
      settledAt = Date.now();
      return o;
    });
    // Each subscription is queued behind maxPipelined, and writes nothing.
    while (settledAt === 0 && Date.now() - started < 1500) {
      await delay(50);
      void outcomeOf(settle(conn.fetch('GET', '/queued'), 3000));
    }
    const outcome = await first;
    expect(outcome?.error).toBeInstanceOf(ResponseTimeout);
    // Before the fix: the timer is refreshed by every subscription, so it fired only after they stopped (~1700 ms).
    expect(settledAt - started).toBeLessThan(1000);
  });

  it('bounds the memory of a synchronous Observable body that outruns the socket', async () => {
    const piece = Buffer.alloc(1024 * 1024);
    const pieces = new Array<Buffer>(MAX_OBSERVABLE_BACKLOG / piece.length + 8).fill(piece);
    const wire = new FakeWire(1024);
    const err = await new Promise<RequestError | null>((resolve) =>
      writeBody(from(pieces), wire, -1, { done: resolve, overrun: () => undefined }),
    );
    expect(err).toBeInstanceOf(RequestError);
    // Before the fix: the failure cannot unsubscribe a source that is still inside subscribe(), so every piece is written.
    expect(wire.buffered).toBeLessThanOrEqual(MAX_OBSERVABLE_BACKLOG + 2 * piece.length + 64);
  });

  it('does not send an empty body when a request with an AsyncIterable body is subscribed twice at once', async () => {
    server = await ScriptServer.respondEach((req) => response(200, `${req.body.length}`));
    conn = new HttpConnection(server.url);
    const request = conn.fetch('PUT', '/twice', { body: generate(['abc']) });
    const [one, two] = await Promise.all([settle(request), settle(request)]);
    expect(one.values[0]?.text()).toBe('3');
    // Before the fix: the second reads the generator the first has spent, and uploads 0 bytes without an error.
    expect(two.error).toBeInstanceOf(RequestError);
    expect(server.requests.map((r) => r.body.length)).toEqual([3]);
  });

  it('does not write a request behind a response whose body runs until the close', async () => {
    server = await ScriptServer.start(async (c) => {
      if (c.index === 0) {
        await c.nextRequest();
        await c.write('HTTP/1.1 200 OK\r\n\r\nstart ');
        // A request written now is lost: this body ends only with the close.
        await c.nextRequest(200).catch(() => undefined);
        await c.write('end');
        await c.end();
        return;
      }
      const req = await c.nextRequest();
      await c.write(response(200, req.path));
    });
    conn = new HttpConnection(server.url);
    const c = conn;
    const events: string[] = [];
    const afterHead = new Promise<ReturnType<typeof settle<unknown>>>((resolve) => {
      c.request('GET', '/until-close').subscribe({
        next(event) {
          events.push(event.type);
          // The head says the body runs until the close: the connection is ending.
          if (event.type === 'head') resolve(settle(c.fetch('GET', '/after'), 2000));
        },
        complete: () => events.push('complete'),
        error: () => events.push('error'),
      });
    });
    const outcome = await await afterHead;
    expect([events[0], events[events.length - 1]]).toEqual(['head', 'complete']);
    // Before the fix: /after is written on the ending socket and fails with ConnectionClosed {sent: true}.
    expect(outcome.error).toBeUndefined();
    expect((outcome.values[0] as { text(): string } | undefined)?.text()).toBe('/after');
    expect(countRequests(server.connections[0].received)).toBe(1);
  });

  // Found in a second review.
  it('gives the awaited response a whole timeout after a consumer lifts its pause', async () => {
    // The server sends half of a body, then the rest 950 ms later. The
    // consumer holds the connection paused from the first piece until 600 ms,
    // so the response has been owed for only 350 ms of a 400 ms timeout.
    server = await ScriptServer.start(async (c) => {
      await c.nextRequest();
      await c.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello');
      await delay(950);
      await c.write('world');
    });
    conn = new HttpConnection(server.url, { timeout: 400 });
    let paused = false;
    const result = await settle(
      conn.request('GET', '/slow-after-pause').pipe(
        tap((event) => {
          if (event.type === 'data' && !paused) {
            paused = true;
            setTimeout(event.pause(), 600);
          }
        }),
      ),
      3000,
    );
    // Before a fix: the timer, refreshed only when it fired during the pause
    // (at 400 ms), fires at 800 ms, 200 ms after the lift: ResponseTimeout.
    expect((result.error as Error | undefined)?.name)
      .withContext('error')
      .toBeUndefined();
    expect(result.completed).toBeTrue();
  });

  it('keeps a pause taken on the last piece of a finished response when the next request is unsubscribed', async () => {
    // docs/transfers.md: "Unsubscribing lifts the pauses of that request ...
    // A pause taken on a body's last piece outlives the request's completion
    // ... the responses behind wait until it lifts the pause."
    server = await ScriptServer.start(async (c) => {
      await read(c, 3);
      await c.write(response(200, 'aaa') + response(200, 'bbb') + response(200, 'ccc'));
    });
    conn = new HttpConnection(server.url);
    let liftA: (() => void) | undefined;
    const a = settle(
      conn.request('GET', '/a').pipe(
        // A's consumer is busy with its last piece (a full sink, say).
        tap((event) => {
          if (event.type === 'data') liftA = event.pause();
        }),
      ),
    );
    const b = conn.request('GET', '/b').subscribe();
    const cEvents: string[] = [];
    conn.request('GET', '/c').subscribe({
      next: (event) => cEvents.push(event.type),
      complete: () => cEvents.push('complete'),
      error: (err) => cEvents.push(`error ${(err as Error).name}`),
    });
    expect((await a).completed).toBeTrue();
    expect(liftA).toBeDefined();
    await delay(50);
    expect(cEvents).withContext('C before anything').toEqual([]);
    // B's caller leaves; B has taken no pause of its own.
    b.unsubscribe();
    await delay(100);
    // Before a fix: liftAll() lifted A's pause too, and C was read and delivered.
    expect(cEvents).withContext('C while A still holds its pause').toEqual([]);
    liftA!();
    await delay(100);
    expect(cEvents).toEqual(['head', 'data', 'complete']);
  });

  it("settles the requests behind an announced close when a streamed body's teardown calls destroy()", async () => {
    // unwriteBehind() stops the bodies of the requests it takes back before
    // the queue is whole again; stopping an Observable body runs its
    // teardown, which is caller code (a finalize(), say).
    server = await ScriptServer.start(async (c) => {
      if (c.index > 0) return;
      await read(c, 2);
      await delay(50); // the head of the PUT and its first chunk arrive
      await c.write(response(200, 'first', { Connection: 'close' }));
      await c.end();
    });
    conn = new HttpConnection(server.url);
    const c = conn;
    const first = outcomeOf(settle(conn.fetch('GET', '/a'), 1000));
    const behind = outcomeOf(settle(conn.fetch('GET', '/b'), 1000));
    // A body still streaming when the close is announced; its teardown gives up on the connection.
    const body = new Observable<string>((subscriber) => {
      subscriber.next('x');
      return () => c.destroy();
    });
    const upload = outcomeOf(settle(conn.fetch('PUT', '/c', { body }), 1000));
    await first;
    expect((await upload)?.error)
      .withContext('the upload')
      .toBeDefined();
    const outcome = await behind;
    // Before a fix: /b is put back into the queue of a destroyed connection and never settles.
    expect(outcome).withContext('/b never settled').toBeDefined();
    expect(conn.pending).toBe(0);
  });
});

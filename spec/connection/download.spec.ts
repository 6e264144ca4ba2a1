import { Writable } from 'node:stream';
import { lastValueFrom } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import type { ResponseEvent } from '../../lib/events';
import { writeTo } from '../../lib';
import { BulkServer } from '../support/bulk-server';
import { ScriptServer } from '../support/script-server';
import { delay, settle } from '../support/observe';
import { tearDown } from '../support/fixture';

const MiB = 1024 * 1024;

/** Polls until `read()` stops changing for a while; returns its last value. */
async function settled(read: () => number, quietMs = 150): Promise<number> {
  let last = -1;
  while (read() !== last) {
    last = read();
    await delay(quietMs);
  }
  return last;
}

describe('downloads with backpressure', () => {
  let server: BulkServer | undefined;
  let conn: HttpConnection | undefined;

  afterEach(async () => {
    await tearDown(conn, server);
    server = conn = undefined;
  });

  it('stops reading the socket while a consumer holds a pause, and resumes after', async () => {
    const size = 128 * MiB;
    server = await BulkServer.start(size);
    conn = new HttpConnection(server.url);
    let delivered = 0;
    let resume: (() => void) | undefined;
    const done = new Promise<boolean>((resolve) => {
      conn!.request('GET', '/').subscribe({
        next(event: ResponseEvent) {
          if (event.type !== 'data') return;
          delivered += event.data.length;
          if (resume === undefined) resume = event.pause();
        },
        complete: () => resolve(true),
        error: () => resolve(false),
      });
    });
    const stalled = await settled(() => server!.sent);
    // The server is held back by TCP: a few MiB went into kernel buffers (the
    // receive buffer does not grow while nothing reads it), not the body. A
    // client that kept reading into memory lets the server run far past this.
    expect(stalled).toBeLessThan(16 * MiB);
    // And the client delivered no more than one read past the pause.
    expect(delivered).toBeLessThanOrEqual(256 * 1024);
    resume!();
    expect(await done).toBeTrue();
    expect(delivered).toBe(size);
  }, 20_000);

  it('writes a body into a slow Writable with bounded memory', async () => {
    const size = 64 * MiB;
    server = await BulkServer.start(size);
    conn = new HttpConnection(server.url);
    let written = 0;
    let maxAhead = 0;
    const sink = new Writable({
      highWaterMark: 256 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        // Slow: a pause after each piece lets the socket run ahead if it can.
        setTimeout(callback, 1);
      },
    });
    const sampler = setInterval(() => (maxAhead = Math.max(maxAhead, server!.sent - written)), 5);
    try {
      const heads = await lastValueFrom(conn.request('GET', '/').pipe(writeTo(sink)));
      expect(heads.status).toBe(200);
    } finally {
      clearInterval(sampler);
    }
    await settled(() => written, 20);
    expect(written).toBe(size);
    // What the server sent beyond what the sink took sits in kernel buffers and one read.
    expect(maxAhead).toBeLessThan(16 * MiB);
  }, 30_000);

  it('delivers what a pause held after the lifting call has returned, not inside it', async () => {
    // One read holding several chunks: the pause on the first holds the rest of the read.
    const script = await ScriptServer.start(async (c) => {
      await c.nextRequest();
      await c.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n');
    });
    const c = new HttpConnection(script.url);
    try {
      let lift: (() => void) | undefined;
      let lifting = false;
      const seen: string[] = [];
      const done = new Promise<void>((resolve) =>
        c.request('GET', '/').subscribe({
          next(event) {
            if (event.type !== 'data') return;
            seen.push(`${Buffer.from(event.data).toString()}${lifting ? ' (inside the lift)' : ''}`);
            if (lift === undefined) lift = event.pause();
          },
          complete: () => resolve(),
        }),
      );
      while (lift === undefined) await delay(5);
      await delay(20);
      expect(seen).toEqual(['a']);
      lifting = true;
      lift();
      lifting = false;
      await done;
      expect(seen).toEqual(['a', 'b', 'c']);
    } finally {
      c.destroy();
      await script.close();
    }
  });

  it('lets pauses nest and ignores a second call of the same resume', async () => {
    server = await BulkServer.start(8 * MiB);
    conn = new HttpConnection(server.url);
    const lifts: Array<() => void> = [];
    let delivered = 0;
    const done = new Promise<boolean>((resolve) =>
      conn!.request('GET', '/').subscribe({
        next(event) {
          if (event.type !== 'data') return;
          delivered += event.data.length;
          if (lifts.length === 0) lifts.push(event.pause(), event.pause());
        },
        complete: () => resolve(true),
      }),
    );
    const first = await settled(() => delivered);
    lifts[0]();
    lifts[0]();
    await delay(100);
    expect(delivered).toBe(first);
    lifts[1]();
    expect(await done).toBeTrue();
    expect(delivered).toBe(8 * MiB);
  });

  it('lifts the pauses of a consumer that unsubscribes, so the next response flows', async () => {
    server = await BulkServer.start(4 * MiB);
    conn = new HttpConnection(server.url);
    const c = conn;
    const subscription = c.request('GET', '/1').subscribe((event) => {
      if (event.type === 'data') event.pause();
    });
    const second = settle(c.fetch('GET', '/2'), 10_000);
    await delay(100);
    subscription.unsubscribe();
    const outcome = await second;
    expect(outcome.values[0].body.length).toBe(4 * MiB);
  });

  it('does not time out a response while its consumer holds it paused', async () => {
    server = await BulkServer.start(1 * MiB);
    conn = new HttpConnection(server.url, { timeout: 100 });
    const res = new Promise<number>((resolve, reject) => {
      let total = 0;
      conn!.request('GET', '/').subscribe({
        next(event) {
          if (event.type !== 'data') return;
          total += event.data.length;
          if (total === event.data.length) setTimeout(event.pause(), 300);
        },
        complete: () => resolve(total),
        error: reject,
      });
    });
    expect(await res).toBe(1 * MiB);
  });
});

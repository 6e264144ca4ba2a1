import { EventEmitter } from 'node:events';
import { Output, type OutputStream } from '../../lib/cli/output';
import { MAX_ORIGINS_IN_WINDOW, run, windowFor } from '../../lib/cli/run';
import type { Target } from '../../lib/cli/input';
import { ScriptServer, response } from '../support/script-server';

// run() in process, with a stdout the spec controls: the window and the
// backpressure that bound the memory docs/cli.md states.

/** A stdout that, while `clogged`, is full after every write, and drains when the spec says. */
class FakeStdout extends EventEmitter implements OutputStream {
  readonly chunks: string[] = [];
  writableNeedDrain = false;
  clogged = false;
  write(data: string | Uint8Array): boolean {
    this.chunks.push(Buffer.from(data).toString());
    if (this.clogged) this.writableNeedDrain = true;
    return !this.writableNeedDrain;
  }
  drain(): void {
    this.writableNeedDrain = false;
    this.emit('drain');
  }
}

const targetsOf = (urls: string[]): Target[] => urls.map((text) => ({ text, url: new URL(text) }));
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe('run() (the bin, in process)', () => {
  let server: ScriptServer;

  beforeEach(async () => {
    server = await ScriptServer.respondEach((req) => response(200, `${req.path};`));
  });
  afterEach(() => server.close());

  it('sizes the window as connections × depth × origins, origins counted up to a cap', () => {
    const one = targetsOf(['http://a/1', 'http://a/2', 'http://a:80/3']);
    expect(windowFor(one, 4, 10)).toBe(40);
    expect(windowFor(targetsOf(['http://a/1', 'https://a/1', 'http://b/1']), 2, 3)).toBe(18);
    const many = targetsOf(Array.from({ length: 100 }, (_, i) => `http://host${i}/`));
    expect(windowFor(many, 1, 1)).toBe(MAX_ORIGINS_IN_WINDOW);
  });

  it('starts no request while stdout is full, beyond those already started, and goes on when it drains', async () => {
    const stdout = new FakeStdout();
    const output = new Output({ dir: undefined, json: false, stdout, report: () => {} });
    const paths = Array.from({ length: 12 }, (_, i) => `/r${i}`);
    stdout.clogged = true; // full from the first body on
    const job = run({
      targets: targetsOf(paths.map((p) => server.url + p)),
      method: 'GET',
      headers: [],
      data: undefined,
      depth: 3,
      connections: 1,
      output,
    });
    await settle();
    // The window (1 × 3) started, was answered and written; nothing more was asked of the server.
    expect(server.requests.length).toBe(3);
    expect(stdout.chunks.length).toBe(3);
    stdout.drain();
    await settle();
    expect(server.requests.length).toBe(6); // one more window, full again
    stdout.clogged = false;
    stdout.drain();
    const summary = await job.done;
    expect(summary).toEqual({ failures: 0, aborted: false });
    expect(stdout.chunks.join('')).toBe(paths.map((p) => `${p};`).join(''));
  });

  it('stops at once on abort() and resolves as aborted', async () => {
    const stdout = new FakeStdout();
    const output = new Output({ dir: undefined, json: false, stdout, report: () => {} });
    stdout.clogged = true;
    const job = run({
      targets: targetsOf(Array.from({ length: 50 }, (_, i) => `${server.url}/a${i}`)),
      method: 'GET',
      headers: [],
      data: undefined,
      depth: 2,
      connections: 1,
      output,
    });
    await settle();
    job.abort();
    expect((await job.done).aborted).toBeTrue();
    stdout.drain();
    await settle();
    expect(server.requests.length).toBe(2);
  });
});

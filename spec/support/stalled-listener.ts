import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A port on 127.0.0.1 where a connect never completes: a child process
 * listens with a tiny backlog, fills it with its own connections, then blocks
 * its event loop so nothing is ever accepted. The kernel drops further SYNs,
 * as a black-holed host would, which is what a connect timeout is about.
 */
const CHILD = `
const net = require('net');
const server = net.createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  const { port } = server.address();
  for (let i = 0; i < 4; i++) net.connect(port, '127.0.0.1').on('error', () => {});
  // The connects run on the next ticks; block after them, before any poll could accept.
  process.nextTick(() => process.nextTick(() => {
    process.stdout.write(port + '\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[1]));
    process.exit(0);
  }));
});
`;

export interface StalledListener {
  readonly port: number;
  stop(): void;
}

/** Starts the listener; it exits by itself after `lifetimeMs` in any case. */
export function stalledListener(lifetimeMs = 5_000): Promise<StalledListener> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['-e', CHILD, String(lifetimeMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.stdout!.once('data', (data: Buffer) => {
      resolve({ port: Number(data.toString().trim()), stop: () => child.kill('SIGKILL') });
    });
  });
}

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** The built bin: `npm test` builds dist/ before the specs run. */
export const BIN = path.resolve(__dirname, '../../dist/cli/main.js');

/** What one run of the bin did. */
export interface BinRun {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** How long a run may take before the spec kills it and fails: the specs' runs take well under a second. */
const RUN_LIMIT_MS = 10_000;

/**
 * Runs `node dist/cli/main.js ...args` with stdout and stderr on pipes (so
 * not TTYs), `stdin` written to its stdin (else stdin is closed at once),
 * and resolves when it exits (with `hangUp`, once it has exited even if
 * its stdout is already gone). A run still going after RUN_LIMIT_MS is
 * killed and rejects.
 */
export function runBin(
  args: readonly string[],
  options: {
    stdin?: string;
    cwd?: string;
    /** Close our end of its stdout at the first byte, as `| head -c 1` would. */ hangUp?: boolean;
  } = {},
): Promise<BinRun> {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run npx tsc -p tsconfig.build.json (npm test does)`);
  return new Promise((resolve, reject) => {
    // No proxy from the environment, whatever the machine has: the specs talk to 127.0.0.1 only.
    const env = { ...process.env };
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete env[name];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      if (options.hangUp) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`httpio ${args.join(' ')}: still running after ${RUN_LIMIT_MS} ms; stderr: ${Buffer.concat(err).toString()}`));
    }, RUN_LIMIT_MS);
    child.on('error', reject);
    child.on(options.hangUp ? 'exit' : 'close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined); // a bin that exits before reading stdin
    child.stdin.end(options.stdin ?? '');
  });
}

/** A fresh empty directory under the OS's temp dir; remove it with removeTemp. */
export function makeTemp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'httpio-cli-'));
}

export function removeTemp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A loopback port nothing listens on: one the OS just handed out and that was closed again. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

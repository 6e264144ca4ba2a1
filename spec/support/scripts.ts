import { ScriptServerError, type ServerConnection } from './script-server';

// Small steps that server scripts and specs share.

/** Reads `n` requests and returns their paths. */
export async function read(c: ServerConnection, n: number): Promise<string[]> {
  const paths = [];
  for (let i = 0; i < n; i++) paths.push((await c.nextRequest()).path);
  return paths;
}

/** The client closed or reset its side: a script that waits for requests ends quietly then. */
export function clientGone(err: unknown): boolean {
  return err instanceof ScriptServerError && err.code === 'CLIENT_CLOSED';
}

/**
 * Reads until the client ends its side (the script server is half-open),
 * then ends ours: every byte the client wrote has then been received. Any
 * other failure (a malformed request) is the script's error.
 */
export async function untilClientLeaves(c: ServerConnection): Promise<void> {
  for (;;) {
    try {
      await c.nextRequest(Infinity);
    } catch (err) {
      if (!clientGone(err)) throw err;
      return c.end();
    }
  }
}

/** An async generator over `pieces`: a one-shot AsyncIterable body. */
export async function* generate(pieces: Array<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  for (const piece of pieces) yield piece;
}

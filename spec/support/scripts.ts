import type { ServerConnection } from './script-server';

// Small steps that server scripts and specs share.

/** Reads `n` requests and returns their paths. */
export async function read(c: ServerConnection, n: number): Promise<string[]> {
  const paths = [];
  for (let i = 0; i < n; i++) paths.push((await c.nextRequest()).path);
  return paths;
}

/** Reads until the client ends its side (the script server is half-open), then ends ours. */
export async function untilClientLeaves(c: ServerConnection): Promise<void> {
  while (await c.nextRequest(Infinity).then(() => true, () => false));
  await c.end();
}

/** An async generator over `pieces`: a one-shot AsyncIterable body. */
export async function* generate(pieces: Array<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  for (const piece of pieces) yield piece;
}

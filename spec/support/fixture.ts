import type { HttpConnection } from '../../lib/connection/connection';

/**
 * Ends what a spec started — the connection, then its server — and fails
 * the spec if a server script threw: a script that went wrong proves nothing.
 */
export async function tearDown(
  conn: HttpConnection | undefined,
  server: { close(): Promise<void>; readonly errors?: unknown[] } | undefined,
): Promise<void> {
  conn?.destroy();
  await server?.close();
  expect(server?.errors ?? [])
    .withContext('errors thrown by the server scripts')
    .toEqual([]);
}

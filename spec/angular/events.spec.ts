import { configure, useServerTestBed } from './testbed'; // first: it loads Angular's JIT compiler
import { HttpClient, HttpErrorResponse, HttpEventType, provideHttpClient } from '@angular/common/http';
import type { HttpDownloadProgressEvent, HttpEvent } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import type { Observable } from 'rxjs';
import { HttpioBackend, provideHttpioBackend } from '../../lib/angular';
import { ScriptServer, ScriptServerError, response } from '../support/script-server';
import type { ServerConnection } from '../support/script-server';

/** Every event of a request, in order, once it completes. */
const eventsOf = <T>(events: Observable<HttpEvent<T>>) => lastValueFrom(events.pipe(toArray()));

/** A promise with its resolve function, for a script and a spec to meet. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('HttpioBackend events', () => {
  useServerTestBed();
  let server: ScriptServer | undefined;
  let http: HttpClient;

  /** Runs `script` per connection and sets up an HttpClient over httpio. */
  async function serve(script: (conn: ServerConnection) => Promise<void>): Promise<string> {
    server = await ScriptServer.start(script);
    configure([provideHttpClient(), provideHttpioBackend()]);
    http = TestBed.inject(HttpClient);
    return server.url;
  }

  afterEach(async () => {
    TestBed.resetTestingModule();
    await server?.close();
    expect(server?.errors ?? [])
      .withContext('errors thrown by the server script')
      .toEqual([]);
    server = undefined;
  });

  it('with reportProgress: Sent, ResponseHeader, DownloadProgress (loaded, total, partialText), then Response', async () => {
    const url = await serve(async (conn) => {
      await conn.nextRequest();
      await conn.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-A: 1\r\n\r\nhello world'.slice(0, -1), { split: [44, 49] });
    });
    const events = await eventsOf(http.get(`${url}/p`, { reportProgress: true, observe: 'events', responseType: 'text' }));

    const types = events.map((e) => e.type);
    expect(types.join(' '))
      .withContext(types.join(' '))
      .toMatch(/^0 2 (3 )+4$/);
    const header = events[1] as Extract<HttpEvent<string>, { type: HttpEventType.ResponseHeader }>;
    expect(header.status).toBe(200);
    expect(header.headers.get('x-a')).toBe('1');
    expect(header.url).toBe(`${url}/p`);

    const progress = events.filter((e): e is HttpDownloadProgressEvent => e.type === HttpEventType.DownloadProgress);
    const loaded = progress.map((e) => e.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(new Set(loaded).size).toBe(loaded.length);
    expect(progress.every((e) => e.total === 10)).toBeTrue();
    expect(progress.at(-1)).toEqual({ type: HttpEventType.DownloadProgress, loaded: 10, total: 10, partialText: 'hello worl' });
    expect(events.at(-1)).toEqual(jasmine.objectContaining({ type: HttpEventType.Response, body: 'hello worl', status: 200 }));
  });

  it('reports progress without a total for a chunked body, and no partialText for JSON', async () => {
    const url = await serve(async (conn) => {
      await conn.nextRequest();
      await conn.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n', { split: [50] });
    });
    const events = await eventsOf(http.get<number[]>(`${url}/c`, { reportProgress: true, observe: 'events' }));
    const progress = events.filter((e): e is HttpDownloadProgressEvent => e.type === HttpEventType.DownloadProgress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ type: HttpEventType.DownloadProgress, loaded: 5 });
    expect(events.at(-1)).toEqual(jasmine.objectContaining({ type: HttpEventType.Response, body: [1, 2] }));
  });

  it('without reportProgress: only Sent, then Response', async () => {
    const url = await serve(async (conn) => {
      await conn.nextRequest();
      await conn.write(response(200, 'quiet'), { split: [30] });
    });
    const events = await eventsOf(http.get(`${url}/q`, { observe: 'events', responseType: 'text' }));
    expect(events.map((e) => e.type)).toEqual([HttpEventType.Sent, HttpEventType.Response]);
  });

  it('sends the ResponseHeader event for a HEAD request, whose body is null', async () => {
    const url = await serve(async (conn) => {
      await conn.nextRequest();
      await conn.write('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n');
    });
    const events = await eventsOf(http.head(`${url}/h`, { reportProgress: true, observe: 'events', responseType: 'text' }));
    expect(events.map((e) => e.type)).toEqual([HttpEventType.Sent, HttpEventType.ResponseHeader, HttpEventType.Response]);
    expect(events.at(-1)).toEqual(jasmine.objectContaining({ body: null }));
  });

  it('cancels the httpio request on unsubscribe: no event after Sent, nothing pending', async () => {
    const received = signal();
    const release = signal();
    server = await ScriptServer.respondEach(async (req) => {
      if (req.path !== '/slow') return response(200, 'next');
      received.resolve();
      await release.promise;
      return response(200, 'too late');
    });
    configure([provideHttpClient(), provideHttpioBackend()]);
    http = TestBed.inject(HttpClient);
    const backend = TestBed.inject(HttpioBackend);
    const seen: number[] = [];
    const subscription = http.get(`${server.url}/slow`, { observe: 'events', responseType: 'text' }).subscribe({
      next: (e) => seen.push(e.type),
      error: (e) => fail(e),
    });
    await received.promise;
    expect(backend.agent.pending).toBe(1);
    subscription.unsubscribe();
    expect(backend.agent.pending).toBe(0);
    release.resolve();

    // The backend goes on serving, and the late answer reached no one.
    expect(await firstValueFrom(http.get(`${server.url}/next`, { responseType: 'text' }))).toBe('next');
    expect(seen).toEqual([HttpEventType.Sent]);
  });

  it('errors with a TimeoutError (status 0) when `timeout` passes before the response, and cancels the request', async () => {
    const url = await serve(async (conn) => {
      await conn.nextRequest();
      // Hold the answer until the client leaves.
      await conn.nextRequest(Infinity).catch((e: unknown) => {
        if (!(e instanceof ScriptServerError && e.code === 'CLIENT_CLOSED')) throw e;
      });
    });
    const error = await firstValueFrom(http.get(`${url}/never`, { timeout: 20 })).then(
      () => fail('the request succeeded'),
      (e: unknown) => e as HttpErrorResponse,
    );
    expect(error).toBeInstanceOf(HttpErrorResponse);
    expect(error!.status).toBe(0);
    expect(error!.statusText).toBe('Request timeout');
    expect((error!.error as Error).name).toBe('TimeoutError');
    expect(TestBed.inject(HttpioBackend).agent.pending).toBe(0);
  });
});

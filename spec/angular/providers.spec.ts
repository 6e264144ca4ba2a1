import { configure, useServerTestBed } from './testbed'; // first: it loads Angular's JIT compiler
import { HttpBackend, HttpClient, HttpEventType, provideHttpClient, withFetch } from '@angular/common/http';
import { EnvironmentInjector, EventEmitter, InjectionToken, NgZone, createEnvironmentInjector, inject } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom, lastValueFrom, tap, toArray } from 'rxjs';
import { HttpAgent } from '../../lib/index';
import { HTTPIO_BACKEND_OPTIONS, HttpioBackend, provideHttpioBackend } from '../../lib/angular';
import { ScriptServer, response } from '../support/script-server';

/** The application's own configuration, which a factory for HTTPIO_BACKEND_OPTIONS reads. */
const SERVER_CONFIG = new InjectionToken<{ connections: number }>('SERVER_CONFIG');

describe('provideHttpioBackend and the HttpioBackend lifecycle', () => {
  useServerTestBed();
  let server: ScriptServer;

  beforeEach(async () => {
    server = await ScriptServer.respondEach((req) => response(200, `at ${req.path}`));
  });

  afterEach(async () => {
    TestBed.resetTestingModule();
    await server.close();
    expect(server.errors).withContext('errors thrown by the server script').toEqual([]);
  });

  const get = (path: string) => firstValueFrom(TestBed.inject(HttpClient).get(`${server.url}${path}`, { responseType: 'text' }));

  it("makes HttpClient's HttpBackend an HttpioBackend over an HttpAgent", async () => {
    configure([provideHttpClient(), provideHttpioBackend()]);
    const backend = TestBed.inject(HttpBackend);
    expect(backend).toBeInstanceOf(HttpioBackend);
    expect(backend).toBe(TestBed.inject(HttpioBackend));
    expect((backend as HttpioBackend).agent).toBeInstanceOf(HttpAgent);
    expect(await get('/a')).toBe('at /a');
    expect(server.requests.length).toBe(1);
  });

  it('passes its options to the agent: connectionsPerOrigin 1 puts three requests on one socket', async () => {
    configure([provideHttpClient(), provideHttpioBackend({ connectionsPerOrigin: 1 })]);
    expect(await Promise.all([get('/1'), get('/2'), get('/3')])).toEqual(['at /1', 'at /2', 'at /3']);
    expect(server.connections.length).toBe(1); // the agent's default (4) opens one per request here
  });

  it('replaces the FetchBackend of withFetch() too, when it comes after provideHttpClient()', async () => {
    configure([provideHttpClient(withFetch()), provideHttpioBackend()]);
    expect(TestBed.inject(HttpBackend)).toBeInstanceOf(HttpioBackend);
    expect(await get('/f')).toBe('at /f');
  });

  it('does the socket work outside the Angular zone and delivers the events inside it', async () => {
    // A stand-in NgZone that tracks whether code runs inside Angular (the
    // specs are zoneless, and zone.js is not installed).
    let inside = true;
    const within = <T>(flag: boolean, fn: () => T): T => {
      const before = inside;
      inside = flag;
      try {
        return fn();
      } finally {
        inside = before;
      }
    };
    const zone = {
      run: <T>(fn: () => T) => within(true, fn),
      runGuarded: <T>(fn: () => T) => within(true, fn),
      runTask: <T>(fn: () => T) => within(true, fn),
      runOutsideAngular: <T>(fn: () => T) => within(false, fn),
      // What Angular's own services subscribe to, as NoopNgZone has them.
      onError: new EventEmitter(),
      onStable: new EventEmitter(),
      onUnstable: new EventEmitter(),
      onMicrotaskEmpty: new EventEmitter(),
      hasPendingMacrotasks: false,
      hasPendingMicrotasks: false,
      isStable: true,
    };
    configure([provideHttpClient(), provideHttpioBackend(), { provide: NgZone, useValue: zone }]);
    const backend = TestBed.inject(HttpioBackend);
    const original = backend.agent.request.bind(backend.agent);
    const request = spyOn(backend.agent, 'request').and.callFake((...args: Parameters<HttpAgent['request']>) => {
      expect(inside).withContext('inside the zone when the agent is called').toBeFalse();
      return original(...args);
    });
    inside = false; // the socket's callbacks come from outside any zone

    const events = await lastValueFrom(
      TestBed.inject(HttpClient)
        .get(`${server.url}/z`, { observe: 'events', reportProgress: true, responseType: 'text' })
        .pipe(
          tap((e) =>
            expect(inside)
              .withContext(`inside the zone for event ${e.type}`)
              .toBe(e.type !== HttpEventType.Sent),
          ),
          toArray(),
        ),
    );
    expect(request).toHaveBeenCalledTimes(1);
    expect(events.map((e) => e.type)).toContain(HttpEventType.Response);
  });

  it('fails to make the backend when an option is invalid, naming it', () => {
    configure([provideHttpClient(), provideHttpioBackend({ connectionsPerOrigin: 0 })]);
    expect(() => TestBed.inject(HttpBackend)).toThrowError(RangeError, /connectionsPerOrigin/);
  });

  it('works as { provide: HttpBackend, useClass: HttpioBackend }, with options from HTTPIO_BACKEND_OPTIONS by factory', async () => {
    configure([
      provideHttpClient(),
      { provide: HttpBackend, useClass: HttpioBackend },
      { provide: SERVER_CONFIG, useValue: { connections: 1 } },
      { provide: HTTPIO_BACKEND_OPTIONS, useFactory: () => ({ connectionsPerOrigin: inject(SERVER_CONFIG).connections }) },
    ]);
    expect(await Promise.all([get('/x'), get('/y')])).toEqual(['at /x', 'at /y']);
    expect(server.connections.length).toBe(1);
  });

  // keepAliveTimeout: long enough that only the destroy can end the socket within the spec's time.
  it("closes its sockets when the testing module's injector is destroyed", async () => {
    configure([provideHttpClient(), provideHttpioBackend({ keepAliveTimeout: 60_000 })]);
    const backend = TestBed.inject(HttpioBackend);
    await get('/before');
    const [conn] = server.connections;
    expect(conn.clientEnded).toBeFalse(); // kept alive while the injector lives

    TestBed.resetTestingModule();
    await conn.closed; // never resolving would time the spec out
    expect(conn.clientEnded).toBeTrue();
    expect(backend.agent.pending).toBe(0);
  });

  it('closes its sockets when an environment injector of a Node script is destroyed', async () => {
    configure([]);
    const providers = [provideHttpClient(), provideHttpioBackend({ keepAliveTimeout: 60_000 })];
    const injector = createEnvironmentInjector(providers, TestBed.inject(EnvironmentInjector));
    const text = await firstValueFrom(injector.get(HttpClient).get(`${server.url}/script`, { responseType: 'text' }));
    expect(text).toBe('at /script');
    const [conn] = server.connections;

    injector.destroy();
    await conn.closed;
    expect(conn.clientEnded).toBeTrue();
  });
});

/**
 * Angular's TestBed on the server platform, headless in Node, for the
 * adapter's specs. Import this module before anything from Angular.
 */
// Angular's packages ship partially compiled; outside the Angular CLI (which
// links them) the JIT compiler must be loaded before the first of them.
import '@angular/compiler';
import { destroyPlatform, provideZonelessChangeDetection } from '@angular/core';
import type { EnvironmentProviders, Provider } from '@angular/core';
import { TestBed, TestComponentRenderer } from '@angular/core/testing';
import { ServerModule, platformServer } from '@angular/platform-server';

/**
 * Sets up TestBed with platformServer for the enclosing describe, and tears
 * it down after (platformServer sets the global `ngServerMode`; destroying
 * the platform unsets it, so nothing leaks into other spec files).
 *
 * @example
 * describe('x', () => { useServerTestBed(); it('...', () => configure([provideHttpClient()])); });
 */
export function useServerTestBed(): void {
  beforeAll(() => {
    TestBed.initTestEnvironment(ServerModule, platformServer(), { teardown: { destroyAfterEach: true } });
  });
  beforeEach(() => {
    // On the server platform Angular warns once (NG02801) that HttpClient
    // should use withFetch(): it checks for its own FetchBackend and knows no
    // other backend. The advice does not apply to HttpioBackend; other
    // warnings pass through.
    const warn = console.warn.bind(console);
    spyOn(console, 'warn').and.callFake((...args: unknown[]) => {
      if (!String(args[0]).startsWith('NG02801')) warn(...args);
    });
  });
  afterAll(() => {
    TestBed.resetTestEnvironment();
    destroyPlatform();
  });
}

/**
 * Configures the testing module: zoneless (Angular 21's default), with a
 * no-op component renderer (the server platform's testing module, which
 * would bring one, needs @angular/platform-browser-dynamic), plus `providers`.
 *
 * @example
 * configure([provideHttpClient(), provideHttpioBackend()]);
 */
export function configure(providers: Array<Provider | EnvironmentProviders>): void {
  TestBed.configureTestingModule({
    providers: [provideZonelessChangeDetection(), { provide: TestComponentRenderer, useValue: new TestComponentRenderer() }, ...providers],
  });
}

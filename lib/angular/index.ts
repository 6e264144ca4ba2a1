/**
 * `httpio/angular`: Angular's `HttpClient` over httpio, for server-side
 * rendering and Node.js scripts. {@link provideHttpioBackend} replaces the
 * `HttpBackend` that `provideHttpClient()` sets up; interceptors, params and
 * `responseType` work as usual, and requests to one origin share pipelined
 * keep-alive connections.
 *
 * The events follow Angular's own backends (`FetchBackend`, `HttpXhrBackend`
 * in @angular/common/http): `Sent` at once; with `reportProgress`, a
 * `ResponseHeader` when the head arrives and a `DownloadProgress` per body
 * piece; then the `Response`, or an `HttpErrorResponse`.
 *
 * The whole adapter is one file because lib/angular/ may import only the
 * public surface (`../index`), as any user of the package would.
 */
import { InjectionToken, NgZone, inject, makeEnvironmentProviders } from '@angular/core';
import type { EnvironmentProviders, OnDestroy } from '@angular/core';
import { HttpBackend, HttpErrorResponse, HttpEventType, HttpHeaderResponse, HttpHeaders, HttpResponse } from '@angular/common/http';
import type { HttpDownloadProgressEvent, HttpEvent, HttpRequest } from '@angular/common/http';
import { Observable, from, map } from 'rxjs';
import type { Observer, Subscriber } from 'rxjs';
import { HttpAgent, RequestError } from '../index';
import type { AgentOptions, HeadEvent, HttpHeaders as HttpioHeaders, RequestInit, ResponseEvent } from '../index';

/**
 * The backend's options: httpio's `ConnectionOptions` for every connection,
 * plus `connectionsPerOrigin`, as `new HttpAgent(options)` takes them.
 *
 * @example
 * const options: HttpioBackendOptions = { connectionsPerOrigin: 8, timeout: 10_000 };
 * provideHttpioBackend(options);
 */
export type HttpioBackendOptions = AgentOptions;

/**
 * The injection token {@link HttpioBackend} reads its options from;
 * {@link provideHttpioBackend} sets it. Provide it yourself to compute the
 * options from other services.
 *
 * @example
 * providers: [
 *   provideHttpClient(),
 *   provideHttpioBackend(),
 *   { provide: HTTPIO_BACKEND_OPTIONS, useFactory: () => ({ proxy: inject(ServerConfig).proxy }) },
 * ]
 */
export const HTTPIO_BACKEND_OPTIONS = new InjectionToken<HttpioBackendOptions>('HTTPIO_BACKEND_OPTIONS');

/** What Angular's backends send when the request has no Accept field. */
const ACCEPT_DEFAULT = 'application/json, text/plain, */*';
/** Angular strips this anti-XSSI prefix before parsing JSON. */
const XSSI_PREFIX = /^\)\]\}',?\n/;
/** Statuses whose response has no body at all (Fetch's "null body status"): the body is null, not empty. */
const NULL_BODY_STATUS = new Set([204, 205, 304]);

const utf8 = new TextDecoder();

/**
 * An Angular `HttpBackend` that sends `HttpClient` requests through an
 * httpio `HttpAgent`. URLs must be absolute (`http:` or `https:`): on the
 * server there is no page to resolve a relative one against, so it fails
 * with an `HttpErrorResponse` of status 0 that names the URL.
 *
 * Failures are `HttpErrorResponse`s as Angular's backends make them: status
 * 0 with httpio's error (`ConnectError`, `ConnectionClosed`…) as `error`;
 * a non-2xx status with the body parsed per `responseType` as `error`; a 2xx
 * whose JSON does not parse with `error: { error, text }`. Unsubscribing
 * cancels the httpio request. `withCredentials` and browser-only options
 * (`cache`, `mode`, `priority`…) are ignored; `timeout` is honoured.
 *
 * Made by dependency injection (its constructor reads
 * {@link HTTPIO_BACKEND_OPTIONS}); its connections are closed when the
 * injector is destroyed.
 *
 * @example
 * bootstrapApplication(AppComponent, {
 *   providers: [provideHttpClient(), { provide: HttpBackend, useClass: HttpioBackend }],
 * });
 */
export class HttpioBackend implements HttpBackend, OnDestroy {
  /** The agent behind the backend, for `pending` or `events`. */
  readonly agent: HttpAgent;
  /**
   * The application's zone, if it has one. As in Angular's FetchBackend,
   * sockets and timers run outside it (they do not trigger change detection
   * or hold the zone unstable) and events are delivered inside it.
   */
  readonly #zone = inject(NgZone, { optional: true });

  // No parameters: Angular can then make the class without a decorator or
  // the JIT compiler, for `useClass` as for provideHttpioBackend().
  constructor() {
    this.agent = new HttpAgent({ ...inject(HTTPIO_BACKEND_OPTIONS, { optional: true }) });
  }

  /**
   * Sends `req` when subscribed; unsubscribing cancels it.
   *
   * @example
   * backend.handle(new HttpRequest('GET', 'http://127.0.0.1:8080/items')).subscribe((event) => console.log(event.type));
   */
  handle(req: HttpRequest<unknown>): Observable<HttpEvent<unknown>> {
    return new Observable<HttpEvent<unknown>>((observer) => {
      const url = req.urlWithParams;
      if (!/^https?:\/\//i.test(url)) {
        const reason = 'is not an absolute http(s) URL; on the server there is no page URL to resolve it against';
        observer.error(
          failure(url, new RequestError(`${req.method} ${url} ${reason}: make it absolute (an interceptor can prefix the origin)`)),
        );
        return undefined;
      }
      let init: RequestInit;
      try {
        init = requestInit(req);
      } catch (error) {
        observer.error(failure(url, error)); // a body JSON.stringify cannot take, say
        return undefined;
      }
      const deliver = (fn: () => void): void => (this.#zone === null ? fn() : this.#zone.run(fn));
      const reader = new ResponseReader(req, url, observer, deliver);
      const outside = <T>(fn: () => T): T => (this.#zone === null ? fn() : this.#zone.runOutsideAngular(fn));
      const subscription = outside(() => this.agent.request(req.method, url, init).subscribe(reader));
      // As Angular's backends do: Sent as soon as the request is handed on
      // (ignored if the request already failed, e.g. a bad header).
      observer.next({ type: HttpEventType.Sent });
      // Angular's `timeout` bounds the whole request; the error runs the
      // teardown below, which cancels the httpio request.
      const timer = !req.timeout
        ? undefined
        : outside(() =>
            setTimeout(() => {
              const error = new DOMException('Request timed out', 'TimeoutError');
              deliver(() => observer.error(new HttpErrorResponse({ error, status: 0, statusText: 'Request timeout', url })));
            }, req.timeout),
          );
      return () => {
        clearTimeout(timer);
        subscription.unsubscribe();
      };
    });
  }

  /**
   * Called by Angular when the injector is destroyed: the agent takes no new
   * requests, lets the pending ones finish, then ends its sockets.
   *
   * @example
   * const app = await bootstrapApplication(AppComponent, { providers: [provideHttpClient(), provideHttpioBackend()] });
   * app.destroy(); // HttpioBackend's sockets end once its pending requests have finished
   */
  ngOnDestroy(): void {
    // Nobody awaits an Angular destroy hook, so a failure has no one to go to.
    this.agent.close().catch(() => undefined);
  }
}

/**
 * Providers that make `HttpClient` use {@link HttpioBackend}, with these
 * options for its agent. Put them after `provideHttpClient()`, whose own
 * `HttpBackend` they replace (`withFetch()`'s included).
 *
 * @example
 * bootstrapApplication(AppComponent, {
 *   providers: [provideHttpClient(withInterceptors([apiOrigin])), provideHttpioBackend({ connectionsPerOrigin: 8 })],
 * });
 */
export function provideHttpioBackend(options: HttpioBackendOptions = {}): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: HTTPIO_BACKEND_OPTIONS, useValue: options },
    HttpioBackend,
    { provide: HttpBackend, useExisting: HttpioBackend },
  ]);
}

/** Turns httpio's events for one request into Angular's. */
class ResponseReader implements Observer<ResponseEvent> {
  /** The final response's head, once it has arrived (1xx heads are skipped). */
  private head: HeadEvent | undefined;
  /** Angular's copy of the head's fields, made once. */
  private headers = new HttpHeaders();
  /** Body pieces in order, joined once at the end. */
  private readonly chunks: Uint8Array[] = [];
  /** Body bytes received so far. */
  private loaded = 0;
  /** The Content-Length, for progress events; undefined when the body is chunked or read to close. */
  private total: number | undefined;
  /** With reportProgress and responseType 'text': the body decoded so far (its decoder keeps a split UTF-8 sequence). */
  private partialText: string | undefined;
  private decoder: InstanceType<typeof TextDecoder> | undefined;

  constructor(
    private readonly req: HttpRequest<unknown>,
    private readonly url: string,
    private readonly observer: Subscriber<HttpEvent<unknown>>,
    private readonly deliver: (fn: () => void) => void,
  ) {}

  next(event: ResponseEvent): void {
    if (event.type === 'head') {
      this.head = event;
      this.headers = angularHeaders(event.headers);
      const length = event.headers.get('content-length');
      this.total = length === null ? undefined : Number(length);
      if (this.req.reportProgress) {
        const head = new HttpHeaderResponse({ headers: this.headers, status: event.status, statusText: event.reason, url: this.url });
        this.deliver(() => this.observer.next(head));
      }
    } else if (event.type === 'data') {
      this.chunks.push(event.data);
      this.loaded += event.data.length;
      if (this.req.reportProgress) this.progress(event.data);
    }
    // 'informational' (1xx) and 'trailers' have no Angular event.
  }

  error(err: unknown): void {
    this.deliver(() => this.observer.error(failure(this.url, err)));
  }

  complete(): void {
    const head = this.head!; // httpio completes only after a final head
    const init = { headers: this.headers, status: head.status, statusText: head.reason, url: this.url };
    const ok = head.status >= 200 && head.status < 300;
    let body: unknown = null;
    if (this.req.method !== 'HEAD' && !NULL_BODY_STATUS.has(head.status)) {
      const parsed = parseBody(this.req.responseType, joined(this.chunks, this.loaded), head.headers.get('content-type'), ok);
      if ('unparsable' in parsed) {
        this.deliver(() => this.observer.error(new HttpErrorResponse({ ...init, error: parsed.unparsable })));
        return;
      }
      body = parsed.body;
    }
    this.deliver(() => {
      if (!ok) return this.observer.error(new HttpErrorResponse({ ...init, error: body }));
      this.observer.next(new HttpResponse({ ...init, body }));
      this.observer.complete();
    });
  }

  private progress(data: Uint8Array): void {
    const event: HttpDownloadProgressEvent = { type: HttpEventType.DownloadProgress, loaded: this.loaded };
    if (this.total !== undefined) event.total = this.total;
    if (this.req.responseType === 'text') {
      this.decoder ??= new TextDecoder();
      this.partialText = (this.partialText ?? '') + this.decoder.decode(data, { stream: true });
      event.partialText = this.partialText;
    }
    this.deliver(() => this.observer.next(event));
  }
}

/** A failure without a usable response, as Angular reports one: status 0, the cause as `error`. */
function failure(url: string, error: unknown): HttpErrorResponse {
  return new HttpErrorResponse({ error, status: 0, statusText: 'Unknown Error', url });
}

/**
 * httpio's fields as Angular's HttpHeaders. Repeated fields are joined with
 * ", " as the Fetch and XHR APIs present them, so `get()` sees every value;
 * Set-Cookie lines, which cannot be joined, stay apart.
 */
function angularHeaders(fields: HttpioHeaders): HttpHeaders {
  const byName = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of fields) {
    const key = name.toLowerCase();
    const entry = byName.get(key);
    if (entry === undefined) byName.set(key, { name, values: [value] });
    else entry.values.push(value);
  }
  const record: Record<string, string[]> = {};
  for (const [key, { name, values }] of byName) record[name] = key === 'set-cookie' ? values : [values.join(', ')];
  return new HttpHeaders(record);
}

/** The body bytes in a fresh buffer of their exact size (a socket read may be a view of a larger one). */
function joined(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The body per `responseType`, as HttpXhrBackend makes it: JSON with the
 * XSSI prefix removed and '' as null; on a 2xx, JSON that does not parse is
 * `unparsable` ({ error, text }); on other statuses it is kept as text.
 */
function parseBody(
  type: HttpRequest<unknown>['responseType'],
  bytes: Uint8Array,
  contentType: string | null,
  ok: boolean,
): { body: unknown } | { unparsable: unknown } {
  switch (type) {
    case 'json': {
      const text = utf8.decode(bytes);
      const stripped = text.replace(XSSI_PREFIX, '');
      if (stripped === '') return { body: null };
      try {
        return { body: JSON.parse(stripped) };
      } catch (error) {
        return ok ? { unparsable: { error, text } } : { body: text };
      }
    }
    case 'text':
      return { body: utf8.decode(bytes) };
    case 'arraybuffer':
      return { body: bytes.buffer };
    case 'blob':
      return { body: new Blob([bytes], { type: contentType ?? '' }) };
  }
}

/**
 * The httpio request for an Angular one: its headers (values joined with ','
 * as Angular's backends do), Accept and Content-Type when absent
 * (`detectContentTypeHeader()`), and the body from `serializeBody()`.
 */
function requestInit(req: HttpRequest<unknown>): RequestInit {
  const headers: Array<[string, string]> = [];
  for (const name of req.headers.keys()) headers.push([name, (req.headers.getAll(name) ?? []).join(',')]);
  if (!req.headers.has('Accept')) headers.push(['Accept', ACCEPT_DEFAULT]);
  let contentType = req.headers.has('Content-Type') ? null : req.detectContentTypeHeader();
  const serialized = req.serializeBody();
  let body: RequestInit['body'];
  let contentLength: number | undefined;
  if (typeof serialized === 'string') {
    body = serialized;
  } else if (serialized instanceof ArrayBuffer) {
    body = new Uint8Array(serialized);
  } else if (serialized instanceof URLSearchParams) {
    body = serialized.toString();
  } else if (serialized instanceof FormData) {
    // Fetch's own multipart encoder; the boundary is in its Content-Type.
    const encoded = new Response(serialized);
    if (!req.headers.has('Content-Type')) contentType = encoded.headers.get('content-type');
    body = from(encoded.arrayBuffer()).pipe(map((buffer) => new Uint8Array(buffer)));
  } else if (serialized instanceof Blob) {
    body = from(serialized.arrayBuffer()).pipe(map((buffer) => new Uint8Array(buffer)));
    contentLength = serialized.size;
  }
  if (contentType !== null) headers.push(['Content-Type', contentType]);
  return { headers, ...(body === undefined ? {} : { body }), ...(contentLength === undefined ? {} : { contentLength }) };
}

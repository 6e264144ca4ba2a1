/**
 * `httpio/nestjs`: httpio as a NestJS module. `HttpioModule.forRoot()` (or
 * `forRootAsync()`) provides one {@link HttpioService}, which holds one
 * `HttpAgent` for the module's lifetime and closes its connections when the
 * application shuts down.
 *
 * The whole adapter is one file because lib/nestjs/ may import only the
 * public surface (`../index`), as any user of the package would.
 */
import { ConfigurableModuleBuilder, Inject, Injectable, Module } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { HttpAgent } from '../index';
import type { AgentOptions, HttpResponse, RequestInit, ResponseEvent } from '../index';

/**
 * What `HttpioModule.forRoot()` takes: httpio's `ConnectionOptions` for every
 * connection, plus `connectionsPerOrigin`, as `new HttpAgent(options)` does.
 * Unknown or ill-typed options throw when the service is created, so the
 * application fails at start-up rather than at the first request.
 *
 * @example
 * const options: HttpioModuleOptions = { connectionsPerOrigin: 4, timeout: 5_000 };
 * HttpioModule.forRoot(options);
 */
export type HttpioModuleOptions = AgentOptions;

// Nest's builder writes forRoot/forRootAsync (with useFactory, inject,
// imports, useClass, useExisting) and the options token; we add nothing to it.
const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } = new ConfigurableModuleBuilder<HttpioModuleOptions>()
  .setClassMethodName('forRoot')
  .build();

/**
 * httpio for a NestJS application: `request()` and `fetch()` on absolute
 * URLs, over one `HttpAgent` that pipelines requests per origin. Its
 * connections are closed gracefully in `onModuleDestroy` (on `app.close()`):
 * pending requests finish, then the sockets end.
 *
 * A relative or non-http(s) URL errors the Observable with httpio's
 * `RequestError` before anything is written.
 *
 * @example
 * ```ts
 * @Controller('items')
 * export class ItemsController {
 *   constructor(private readonly http: HttpioService) {}
 *
 *   @Get(':id')
 *   item(@Param('id') id: string): Observable<unknown> {
 *     return this.http.fetch('GET', `http://items.internal/items/${id}`).pipe(map((res) => res.json()));
 *   }
 * }
 * ```
 */
@Injectable()
export class HttpioService implements OnModuleDestroy {
  /** The agent behind the service, for `pending`, `events` or `fetchEach`. */
  readonly agent: HttpAgent;

  // @Inject names the token explicitly: the options are an interface, which
  // leaves no run-time type for emitDecoratorMetadata to record.
  constructor(@Inject(MODULE_OPTIONS_TOKEN) options: HttpioModuleOptions) {
    this.agent = new HttpAgent({ ...options });
  }

  /**
   * The response as events (`head`, `data`…, `trailers`), as
   * `HttpConnection.request()` emits them; cold, so nothing is sent before subscribe.
   *
   * @example
   * http.request('GET', 'http://store.internal/big.bin').pipe(writeTo(file)).subscribe();
   */
  request(method: string, url: string | URL, init?: RequestInit): Observable<ResponseEvent> {
    return this.agent.request(method, url, init);
  }

  /**
   * The whole response: status, headers and body read into memory.
   *
   * @example
   * const res = await firstValueFrom(http.fetch('POST', 'http://api.internal/items', { body: JSON.stringify(item) }));
   */
  fetch(method: string, url: string | URL, init?: RequestInit): Observable<HttpResponse> {
    return this.agent.fetch(method, url, init);
  }

  /**
   * Called by Nest on `app.close()` / `module.close()`: no new requests are
   * taken, the pending ones finish, then every socket ends. A long-lived
   * stream (an event stream, say) holds shutdown until its subscriber
   * unsubscribes: end those in your own `onModuleDestroy` first.
   *
   * @example
   * await app.close(); // resolves once httpio's sockets have ended
   */
  onModuleDestroy(): Promise<void> {
    return this.agent.close();
  }
}

/**
 * The NestJS module: `HttpioModule.forRoot(options)` or
 * `HttpioModule.forRootAsync({ imports, inject, useFactory })`; both export
 * {@link HttpioService} to the importing module.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     HttpioModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({ connectionsPerOrigin: config.get('HTTP_CONNECTIONS') }),
 *     }),
 *   ],
 *   controllers: [ItemsController],
 * })
 * export class AppModule {}
 * ```
 */
@Module({ providers: [HttpioService], exports: [HttpioService] })
export class HttpioModule extends ConfigurableModuleClass {
  /**
   * The module with fixed options: `HttpioModule.forRoot({ connectionsPerOrigin: 4 })`.
   *
   * @example
   * imports: [HttpioModule.forRoot({ timeout: 5_000 })]
   */
  declare static forRoot: (typeof ConfigurableModuleClass)['forRoot'];
  /**
   * The module with options made by a factory, which may inject providers from `imports`.
   *
   * @example
   * imports: [HttpioModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c: ConfigService) => ({ timeout: c.get('T') }) })]
   */
  declare static forRootAsync: (typeof ConfigurableModuleClass)['forRootAsync'];
}

import { Controller, Get, Inject, Injectable, Module, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { TestingModule } from '@nestjs/testing';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { HttpAgent, RequestError } from '../../lib/index';
import { HttpioModule, HttpioService } from '../../lib/nestjs';
import { ScriptServer, response } from '../support/script-server';

/** Where the controller sends its requests: the spec's ScriptServer. */
const UPSTREAM = Symbol('UPSTREAM');

// No @Inject on `http`: Nest finds HttpioService through the design:paramtypes
// metadata that emitDecoratorMetadata writes, even under transpile-only ts-node.
@Controller('items')
class ItemsController {
  constructor(
    private readonly http: HttpioService,
    @Inject(UPSTREAM) private readonly upstream: string,
  ) {}

  @Get(':id')
  async item(@Param('id') id: string): Promise<unknown> {
    const res = await firstValueFrom(this.http.fetch('GET', `${this.upstream}/items/${id}`));
    return res.json();
  }
}

/** A configuration provider for forRootAsync's factory to inject, as ConfigService would be. */
@Injectable()
class HttpConfig {
  readonly connections = 1;
}

@Module({ providers: [HttpConfig], exports: [HttpConfig] })
class ConfigModule {}

describe('httpio/nestjs', () => {
  let server: ScriptServer;
  let moduleRef: TestingModule | undefined;

  beforeEach(async () => {
    server = await ScriptServer.respondEach((req) =>
      response(200, JSON.stringify({ path: req.path }), { 'Content-Type': 'application/json' }),
    );
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await server.close();
    expect(server.errors).withContext('errors thrown by the server script').toEqual([]);
  });

  function compile(imports: unknown[]): Promise<TestingModule> {
    return Test.createTestingModule({
      imports: imports as never[],
      controllers: [ItemsController],
      providers: [{ provide: UPSTREAM, useValue: server.url }],
    }).compile();
  }

  describe('forRoot', () => {
    it('provides HttpioService to a controller, whose call reaches the server and returns its data', async () => {
      moduleRef = await compile([HttpioModule.forRoot({ connectionsPerOrigin: 2 })]);
      const controller = moduleRef.get(ItemsController);
      expect(await controller.item('7')).toEqual({ path: '/items/7' });
      expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /items/7']);
      expect(server.requests[0].header('host')).toBe(`127.0.0.1:${server.port}`);
    });

    it('sits on an HttpAgent, which it exposes as `agent`', async () => {
      moduleRef = await compile([HttpioModule.forRoot({})]);
      expect(moduleRef.get(HttpioService).agent).toBeInstanceOf(HttpAgent);
    });

    it('streams the response events through request()', async () => {
      moduleRef = await compile([HttpioModule.forRoot({})]);
      const events = await lastValueFrom(moduleRef.get(HttpioService).request('GET', `${server.url}/x`).pipe(toArray()));
      expect(events.map((e) => e.type)).toEqual(['head', 'data']);
    });

    it('errors with RequestError for a relative URL, writing nothing', async () => {
      moduleRef = await compile([HttpioModule.forRoot({})]);
      await expectAsync(firstValueFrom(moduleRef.get(HttpioService).fetch('GET', '/items/1'))).toBeRejectedWithError(RequestError);
      expect(server.connections.length).toBe(0);
    });

    it('fails to compile when an option is invalid, naming it', async () => {
      await expectAsync(compile([HttpioModule.forRoot({ connectionsPerOrigin: 0 })])).toBeRejectedWithError(
        RangeError,
        /connectionsPerOrigin/,
      );
    });
  });

  describe('forRootAsync', () => {
    it('builds the options with a factory that injects a config provider', async () => {
      const factory = jasmine.createSpy('useFactory').and.callFake((config: HttpConfig) => ({ connectionsPerOrigin: config.connections }));
      moduleRef = await compile([HttpioModule.forRootAsync({ imports: [ConfigModule], inject: [HttpConfig], useFactory: factory })]);
      expect(factory).toHaveBeenCalledOnceWith(jasmine.any(HttpConfig));

      // connectionsPerOrigin 1 reached the agent: three requests at once share
      // one socket (the default, 4, would open a socket for each).
      const controller = moduleRef.get(ItemsController);
      const bodies = await Promise.all(['a', 'b', 'c'].map((id) => controller.item(id)));
      expect(bodies).toEqual([{ path: '/items/a' }, { path: '/items/b' }, { path: '/items/c' }]);
      expect(server.connections.length).toBe(1);
    });
  });

  describe('shutdown', () => {
    // keepAliveTimeout: long enough that only the close can end the socket within the spec's time.
    it('closes its sockets on module.close(): the server sees the client end the connection', async () => {
      moduleRef = await compile([HttpioModule.forRoot({ keepAliveTimeout: 60_000 })]);
      const service = moduleRef.get(HttpioService);
      await moduleRef.get(ItemsController).item('1');
      const [conn] = server.connections;
      expect(conn.clientEnded).toBeFalse(); // kept alive until the module goes

      await moduleRef.close();
      moduleRef = undefined;
      await conn.closed; // never resolving would time the spec out
      expect(conn.clientEnded).toBeTrue();
      expect(service.agent.pending).toBe(0);
      await expectAsync(firstValueFrom(service.fetch('GET', `${server.url}/late`))).toBeRejected();
    });
  });
});

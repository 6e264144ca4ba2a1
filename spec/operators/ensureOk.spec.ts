import { Subject, concat, from, of, throwError, type Observable } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { HttpStatusError, HttpioError } from '../../lib/errors';
import type { DataEvent, HeadEvent, ResponseEvent } from '../../lib/events';
import { HttpHeaders } from '../../lib/headers';
import { ensureOk } from '../../lib/operators/ensureOk';
import { readAll } from '../../lib/operators/readAll';
import { HttpResponse } from '../../lib/response';
import { tearDown } from '../support/fixture';
import { settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';

const head = (status: number, reason = 'Whatever'): HeadEvent => ({
  type: 'head',
  status,
  reason,
  version: '1.1',
  headers: new HttpHeaders(['Content-Type', 'text/plain']),
});
const data = (piece: string): DataEvent => ({ type: 'data', data: Buffer.from(piece), pause: () => () => undefined });
const res = (status: number, body = '', reason = 'Whatever') => new HttpResponse(head(status, reason), Buffer.from(body));

describe('HttpResponse.ok', () => {
  it('is true for a status from 200 to 299 only', () => {
    expect([199, 200, 204, 299, 300, 304, 404, 500].map((s) => res(s).ok)).toEqual([false, true, true, true, false, false, false, false]);
  });
});

describe('HttpStatusError', () => {
  it('extends HttpioError, has its name and a stable code, and keeps status and response', () => {
    const response = res(503, 'later');
    const err = new HttpStatusError('HTTP 503', { response });
    expect(err).toBeInstanceOf(HttpioError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('HttpStatusError');
    expect(err.code).toBe('HTTPIO_HTTP_STATUS');
    expect(String(err)).toBe('HttpStatusError: HTTP 503');
    expect(err.status).toBe(503);
    expect(err.response).toBe(response);
    expect(new HttpStatusError('m', { response, cause: 'why' }).cause).toBe('why');
  });
});

describe('ensureOk()', () => {
  describe('on HttpResponses', () => {
    it('passes responses with a status below 400, 3xx included', async () => {
      const responses = [res(200), res(204), res(301), res(399)];
      const outcome = await settle(from(responses).pipe(ensureOk()));
      expect(outcome.completed).toBeTrue();
      expect(outcome.values).toEqual(responses);
    });

    it('errors with HttpStatusError for a status of 400 or more, naming status and reason, with the response', async () => {
      const bad = res(404, 'no such item', 'Not Found');
      const outcome = await settle(from([res(200), bad, res(200)]).pipe(ensureOk()));
      expect(outcome.values.length).toBe(1);
      const err = outcome.error as HttpStatusError;
      expect(err).toBeInstanceOf(HttpStatusError);
      expect(err.status).toBe(404);
      expect(err.response).toBe(bad);
      expect(err.message).toBe('HTTP 404 Not Found');
      for (const status of [400, 500, 599]) expect((await settle(of(res(status)).pipe(ensureOk()))).error).toBeInstanceOf(HttpStatusError);
    });

    it('names the request in the message when told it', async () => {
      const err = (await settle(of(res(403, '', 'Forbidden')).pipe(ensureOk({ request: 'DELETE /items/1' })))).error as Error;
      expect(err.message).toBe('HTTP 403 Forbidden for DELETE /items/1');
    });
  });

  describe('on ResponseEvents', () => {
    it('passes every event through when the status is below 400', async () => {
      const events: ResponseEvent[] = [
        { type: 'informational', status: 103, reason: 'Early Hints', headers: new HttpHeaders([]) },
        head(200),
        data('a'),
        data('b'),
        { type: 'trailers', headers: new HttpHeaders(['X', 'y']) },
      ];
      const outcome = await settle(from(events).pipe(ensureOk()));
      expect(outcome.completed).toBeTrue();
      expect(outcome.values.length).toBe(events.length);
      outcome.values.forEach((event, i) => expect(event).toBe(events[i]));
    });

    it('emits no head for a status of 400 or more and errors with the response read whole, trailers included', async () => {
      const events: ResponseEvent[] = [
        head(422, 'Unprocessable Content'),
        data('{"error":'),
        data('"bad id"}'),
        { type: 'trailers', headers: new HttpHeaders(['X', 'y']) },
      ];
      const outcome = await settle(from(events).pipe(ensureOk()));
      expect(outcome.values).toEqual([]);
      const err = outcome.error as HttpStatusError;
      expect(err).toBeInstanceOf(HttpStatusError);
      expect(err.status).toBe(422);
      expect(err.message).toBe('HTTP 422 Unprocessable Content');
      expect(err.response).toBeInstanceOf(HttpResponse);
      expect(err.response.json()).toEqual({ error: 'bad id' });
      expect(err.response.trailers?.get('x')).toBe('y');
      expect(err.cause).toBeUndefined();
    });

    it('reads at most maxBodySize bytes of the error body, then lets the request go and says the body was cut', () => {
      const source = new Subject<ResponseEvent>();
      let error: unknown;
      source.pipe(ensureOk({ maxBodySize: 5, request: 'GET /big' })).subscribe({ error: (e) => (error = e) });
      source.next(head(500, 'Internal Server Error'));
      source.next(data('abc'));
      expect(error).toBeUndefined();
      source.next(data('defgh'));
      const err = error as HttpStatusError;
      expect(err).toBeInstanceOf(HttpStatusError);
      expect(err.response.text()).toBe('abcde');
      expect(err.message).toContain('HTTP 500 Internal Server Error for GET /big');
      expect(err.message).toContain('cut');
      expect(source.observed).toBeFalse();
    });

    it('reads 64 KiB of an error body by default', async () => {
      const big = 'x'.repeat(64 * 1024);
      const exact = (await settle(of<ResponseEvent[]>(head(400), data(big)).pipe(ensureOk()))).error as HttpStatusError;
      expect(exact.response.body.length).toBe(64 * 1024);
      expect(exact.message).not.toContain('cut');
      const over = (await settle(of<ResponseEvent[]>(head(400), data(big), data('y')).pipe(ensureOk()))).error as HttpStatusError;
      expect(over.response.body.length).toBe(64 * 1024);
      expect(over.message).toContain('cut');
      expect(() => ensureOk({ maxBodySize: -1 })).toThrowError(RangeError, /maxBodySize/);
    });

    it('still gives the HttpStatusError when the error body fails to arrive, with the failure as cause', async () => {
      const failure = new Error('connection lost');
      const outcome = await settle(
        concat(
          of<ResponseEvent[]>(head(502, 'Bad Gateway'), data('par')),
          throwError(() => failure),
        ).pipe(ensureOk()),
      );
      const err = outcome.error as HttpStatusError;
      expect(err).toBeInstanceOf(HttpStatusError);
      expect(err.cause).toBe(failure);
      expect(err.response.text()).toBe('par');
      expect(err.message).toContain('connection lost');
    });

    it("passes the source's error through when the status was fine", async () => {
      const failure = new Error('lost');
      const source: Observable<ResponseEvent> = concat(
        of<ResponseEvent[]>(head(200), data('a')),
        throwError(() => failure),
      );
      const outcome = await settle(source.pipe(ensureOk()));
      expect(outcome.values.map((e) => e.type)).toEqual(['head', 'data']);
      expect(outcome.error).toBe(failure);
    });
  });

  describe('on a connection', () => {
    let server: ScriptServer | undefined;
    let conn: HttpConnection | undefined;
    afterEach(() => tearDown(conn, server));

    it('errors fetch() and request() alike on a 404, and the connection goes on', async () => {
      server = await ScriptServer.respondEach((req) => (req.path === '/ok' ? response(200, 'fine') : response(404, `no ${req.path}`)));
      conn = new HttpConnection(server.url);
      const viaFetch = await settle(conn.fetch('GET', '/a').pipe(ensureOk()));
      expect((viaFetch.error as HttpStatusError).status).toBe(404);
      expect((viaFetch.error as HttpStatusError).response.text()).toBe('no /a');
      const viaRequest = await settle(conn.request('GET', '/b').pipe(ensureOk()));
      expect((viaRequest.error as HttpStatusError).response.text()).toBe('no /b');
      const ok = await settle(conn.request('GET', '/ok').pipe(ensureOk(), readAll()));
      expect(ok.values[0].text()).toBe('fine');
    });
  });
});

import { Observable, Subject, from, of, range, take, type Subscriber } from 'rxjs';
import { HttpConnection } from '../../lib/connection/connection';
import { HttpAgent } from '../../lib/pool/agent';
import { HttpPool } from '../../lib/pool/pool';
import type { HeadEvent } from '../../lib/events';
import { HttpHeaders } from '../../lib/headers';
import { fetchEach, type FetchTarget } from '../../lib/operators/fetchEach';
import { HttpResponse } from '../../lib/response';
import { tearDown } from '../support/fixture';
import { settle } from '../support/observe';
import { ScriptServer, response } from '../support/script-server';

const head: HeadEvent = { type: 'head', status: 200, reason: 'OK', version: '1.1', headers: new HttpHeaders([]) };
const answer = (body: string) => new HttpResponse(head, Buffer.from(body));
const bodies = (responses: HttpResponse[]) => responses.map((r) => r.text());

/** A target whose requests the spec answers by hand, in any order. */
class ManualTarget implements FetchTarget<{ tag?: string }> {
  /** Every fetch() subscribed, in order. */
  readonly calls: Array<{
    method: string;
    path: string;
    init?: { tag?: string };
    subscriber: Subscriber<HttpResponse>;
    unsubscribed: boolean;
  }> = [];

  fetch(method: string, path: string, init?: { tag?: string }): Observable<HttpResponse> {
    return new Observable<HttpResponse>((subscriber) => {
      const call = { method, path, init, subscriber, unsubscribed: false };
      this.calls.push(call);
      return () => (call.unsubscribed = true);
    });
  }

  /** Subscribed and neither answered nor unsubscribed. */
  get active(): number {
    return this.calls.filter((c) => !c.unsubscribed && !c.subscriber.closed).length;
  }

  answer(path: string): void {
    const call = this.calls.find((c) => c.path === path)!;
    call.subscriber.next(answer(path));
    call.subscriber.complete();
  }
}

/** A target that answers at once, synchronously, with the path as body. */
const instant: FetchTarget = { fetch: (_method, path) => of(answer(path)) };

describe('fetchEach()', () => {
  it('emits the responses in input order, whatever order they are answered in', () => {
    const target = new ManualTarget();
    const seen: string[] = [];
    let completed = false;
    from(['a', 'b', 'c', 'd'])
      .pipe(fetchEach(target, (item) => ({ method: 'GET', path: `/${item}` })))
      .subscribe({ next: (r) => seen.push(r.text()), complete: () => (completed = true) });
    expect(target.calls.map((c) => c.path)).toEqual(['/a', '/b', '/c', '/d']);
    target.answer('/d');
    target.answer('/b');
    expect(seen).toEqual([]);
    // The first one's answer lets it and the answered ones behind it out, at once.
    target.answer('/a');
    expect(seen).toEqual(['/a', '/b']);
    target.answer('/c');
    expect(seen).toEqual(['/a', '/b', '/c', '/d']);
    expect(completed).toBeTrue();
  });

  it('passes method, path, init and the index from project', () => {
    const target = new ManualTarget();
    from(['x', 'y'])
      .pipe(fetchEach(target, (item, i) => ({ method: i === 0 ? 'GET' : 'PUT', path: `/${item}/${i}`, init: { tag: item } })))
      .subscribe();
    expect(target.calls.map(({ method, path, init }) => ({ method, path, init }))).toEqual([
      { method: 'GET', path: '/x/0', init: { tag: 'x' } },
      { method: 'PUT', path: '/y/1', init: { tag: 'y' } },
    ]);
  });

  it('takes url instead of path, for an HttpAgent, a URL object too', () => {
    const target = new ManualTarget();
    from(['http://a.test/1', new URL('https://b.test/2')])
      .pipe(fetchEach(target, (url) => ({ method: 'GET', url })))
      .subscribe();
    expect(target.calls.map((c) => c.path)).toEqual(['http://a.test/1', 'https://b.test/2']);
  });

  it('has at most `concurrency` requests started and not emitted, answered ones waiting for an earlier one included', () => {
    const target = new ManualTarget();
    const seen: string[] = [];
    range(0, 10)
      .pipe(fetchEach(target, (i) => ({ method: 'GET', path: `/${i}` }), { concurrency: 3 }))
      .subscribe((r) => seen.push(r.text()));
    expect(target.calls.length).toBe(3);
    // Answered but held behind /0: they still count, so nothing new starts.
    target.answer('/1');
    target.answer('/2');
    expect(target.calls.length).toBe(3);
    target.answer('/0');
    expect(seen).toEqual(['/0', '/1', '/2']);
    expect(target.calls.map((c) => c.path)).toEqual(['/0', '/1', '/2', '/3', '/4', '/5']);
    expect(target.active).toBe(3);
  });

  it('does not start a new value while the answered ones wait for an earlier one', () => {
    const target = new ManualTarget();
    const source = new Subject<string>();
    source.pipe(fetchEach(target, (p) => ({ method: 'GET', path: p }), { concurrency: 3 })).subscribe();
    ['/0', '/1', '/2'].forEach((p) => source.next(p));
    target.answer('/1');
    target.answer('/2');
    source.next('/3');
    expect(target.calls.length).toBe(3);
    target.answer('/0');
    expect(target.calls.map((c) => c.path)).toEqual(['/0', '/1', '/2', '/3']);
  });

  it('emits a response as soon as every earlier one is out, even before its own fetch completes', () => {
    const target = new ManualTarget();
    const seen: string[] = [];
    from(['/0', '/1', '/2'])
      .pipe(fetchEach(target, (p) => ({ method: 'GET', path: p })))
      .subscribe((r) => seen.push(r.text()));
    target.calls[1].subscriber.next(answer('/1'));
    expect(seen).toEqual([]);
    target.answer('/0');
    expect(seen).toEqual(['/0', '/1']);
    target.calls[1].subscriber.complete();
    target.answer('/2');
    expect(seen).toEqual(['/0', '/1', '/2']);
  });

  it('starts 64 requests at once by default', () => {
    const target = new ManualTarget();
    range(0, 100)
      .pipe(fetchEach(target, (i) => ({ method: 'GET', path: `/${i}` })))
      .subscribe();
    expect(target.calls.length).toBe(64);
    expect(() => fetchEach(target, () => ({ method: 'GET', path: '/' }), { concurrency: 0 })).toThrowError(RangeError, /concurrency/);
  });

  it('takes values that come later, from a source that is not synchronous', () => {
    const target = new ManualTarget();
    const source = new Subject<string>();
    const seen: string[] = [];
    let completed = false;
    source.pipe(fetchEach(target, (p) => ({ method: 'GET', path: p }), { concurrency: 1 })).subscribe({
      next: (r) => seen.push(r.text()),
      complete: () => (completed = true),
    });
    source.next('/a');
    source.next('/b');
    expect(target.calls.length).toBe(1);
    target.answer('/a');
    source.complete();
    expect(completed).toBeFalse();
    target.answer('/b');
    expect(seen).toEqual(['/a', '/b']);
    expect(completed).toBeTrue();
  });

  it('errors the output when a request fails, and unsubscribes the requests in flight and starts no more', () => {
    const target = new ManualTarget();
    const failure = new Error('refused');
    let error: unknown;
    const seen: string[] = [];
    range(0, 10)
      .pipe(fetchEach(target, (i) => ({ method: 'GET', path: `/${i}` }), { concurrency: 4 }))
      .subscribe({ next: (r) => seen.push(r.text()), error: (e) => (error = e) });
    target.answer('/0');
    target.calls[2].subscriber.error(failure);
    expect(error).toBe(failure);
    expect(seen).toEqual(['/0']);
    expect(target.active).toBe(0);
    expect(target.calls.length).toBe(5);
  });

  it('errors the output when project throws', async () => {
    const failure = new Error('bad item');
    const outcome = await settle(
      from([1, 2, 3]).pipe(
        fetchEach(instant, (i) => {
          if (i === 2) throw failure;
          return { method: 'GET', path: `/${i}` };
        }),
      ),
    );
    expect(bodies(outcome.values)).toEqual(['/1']);
    expect(outcome.error).toBe(failure);
  });

  it('cancels every request in flight, and the queued ones, when the output is unsubscribed', () => {
    const target = new ManualTarget();
    const subscription = range(0, 1000)
      .pipe(fetchEach(target, (i) => ({ method: 'GET', path: `/${i}` }), { concurrency: 8 }))
      .subscribe();
    expect(target.active).toBe(8);
    subscription.unsubscribe();
    expect(target.active).toBe(0);
    expect(target.calls.length).toBe(8);
  });

  it('stops at take(): the rest is never requested', () => {
    const target = new ManualTarget();
    const seen: string[] = [];
    range(0, 100)
      .pipe(
        fetchEach(target, (i) => ({ method: 'GET', path: `/${i}` }), { concurrency: 2 }),
        take(1),
      )
      .subscribe((r) => seen.push(r.text()));
    target.answer('/0');
    expect(seen).toEqual(['/0']);
    expect(target.active).toBe(0);
    expect(target.calls.length).toBe(2);
  });

  it('emits nothing for a request that completes without a response, and goes on', () => {
    const target = new ManualTarget();
    const seen: string[] = [];
    from(['/a', '/b'])
      .pipe(fetchEach(target, (p) => ({ method: 'GET', path: p })))
      .subscribe((r) => seen.push(r.text()));
    target.calls[0].subscriber.complete();
    target.answer('/b');
    expect(seen).toEqual(['/b']);
  });

  it('queues a large synchronous source in O(1) per item: no shift, search or splice over a long array', () => {
    // mergeMap keeps its waiting values in an array it shift()s, and finds
    // finished inner subscriptions by a linear search: each array method call
    // is recorded with the length it works on.
    const methods = ['shift', 'indexOf', 'splice', 'findIndex', 'lastIndexOf'] as const;
    const originals = methods.map((name) => Array.prototype[name]);
    let longest = 0;
    const seen: HttpResponse[] = [];
    let completed = false;
    methods.forEach((name, i) => {
      const original = originals[i] as (...args: unknown[]) => unknown;
      (Array.prototype as unknown as Record<string, unknown>)[name] = function (this: unknown[], ...args: unknown[]) {
        longest = Math.max(longest, this.length);
        return original.apply(this, args);
      };
    });
    const target = new ManualTarget();
    try {
      range(0, 20_000)
        .pipe(fetchEach(target, (i) => ({ method: 'GET', path: String(i) }), { concurrency: 16 }))
        .subscribe({ next: (r) => seen.push(r), complete: () => (completed = true) });
      // 19,984 values wait; each answer lets one more start.
      for (let i = 0; i < 20_000; i++) {
        const call = target.calls[i];
        call.subscriber.next(answer(call.path));
        call.subscriber.complete();
      }
    } finally {
      methods.forEach((name, i) => ((Array.prototype as unknown as Record<string, unknown>)[name] = originals[i]));
    }
    expect(completed).toBeTrue();
    expect(seen.length).toBe(20_000);
    expect(seen.every((r, i) => r.text() === String(i))).toBeTrue();
    expect(longest).toBeLessThan(100);
  });

  it('goes through 100,000 queued values answered synchronously without deep recursion', () => {
    // The first answer comes later; by then all the others wait, and each of them is answered at once.
    const first = new Subject<HttpResponse>();
    const target: FetchTarget = { fetch: (_method, path) => (path === '0' ? first : of(answer(path))) };
    let count = 0;
    let error: unknown;
    let completed = false;
    range(0, 100_000)
      .pipe(fetchEach(target, (i) => ({ method: 'GET', path: String(i) }), { concurrency: 1 }))
      .subscribe({ next: () => count++, error: (e) => (error = e), complete: () => (completed = true) });
    first.next(answer('0'));
    first.complete();
    expect(error).toBeUndefined();
    expect(count).toBe(100_000);
    expect(completed).toBeTrue();
  });

  describe('on a connection', () => {
    let server: ScriptServer | undefined;
    let conn: HttpConnection | undefined;
    afterEach(() => tearDown(conn, server));

    it('fetches each item over a pipelined HttpConnection and emits the answers in input order', async () => {
      server = await ScriptServer.respondEach((req) => response(200, `answer to ${req.path}`));
      conn = new HttpConnection(server.url);
      const items = Array.from({ length: 50 }, (_, i) => i);
      const outcome = await settle(
        from(items).pipe(
          fetchEach(conn, (i) => ({ method: 'GET', path: `/item/${i}`, init: { headers: { 'x-item': String(i) } } }), { concurrency: 8 }),
        ),
        10_000,
      );
      expect(outcome.completed).toBeTrue();
      expect(bodies(outcome.values)).toEqual(items.map((i) => `answer to /item/${i}`));
      expect(server.requests.map((r) => r.header('x-item'))).toEqual(items.map(String));
    });

    it('takes an HttpPool (path) and an HttpAgent (url) as the target', async () => {
      server = await ScriptServer.respondEach((req) => response(200, `answer to ${req.path}`));
      const pool = new HttpPool(server.url, { connections: 3 });
      const agent = new HttpAgent();
      try {
        const viaPool = await settle(
          range(0, 30).pipe(fetchEach(pool, (i) => ({ method: 'GET', path: `/p/${i}` }), { concurrency: 10 })),
          10_000,
        );
        expect(bodies(viaPool.values)).toEqual(Array.from({ length: 30 }, (_, i) => `answer to /p/${i}`));
        const urls = Array.from({ length: 20 }, (_, i) => new URL(`/a/${i}`, server!.url));
        const viaAgent = await settle(from(urls).pipe(fetchEach(agent, (url) => ({ method: 'GET', url }), { concurrency: 5 })), 10_000);
        expect(bodies(viaAgent.values)).toEqual(urls.map((u) => `answer to ${u.pathname}`));
      } finally {
        pool.destroy();
        agent.destroy();
      }
    });
  });
});

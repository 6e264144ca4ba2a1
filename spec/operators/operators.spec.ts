import { PassThrough } from 'node:stream';
import { Observable, Subject, concat, firstValueFrom, of, throwError } from 'rxjs';
import type { DataEvent, HeadEvent, InformationalEvent, ResponseEvent, TrailersEvent } from '../../lib/events';
import { HttpHeaders } from '../../lib/headers';
import { json, readAll, text, writeTo, type Sink } from '../../lib';
import { HttpResponse } from '../../lib/response';
import { settle } from '../support/observe';

// Response events as a connection emits them, built by hand: the operators need no socket.

function head(status = 200, fields: string[] = ['Content-Type', 'text/plain']): HeadEvent {
  return { type: 'head', status, reason: 'OK', version: '1.1', headers: new HttpHeaders(fields) };
}

function informational(status = 103): InformationalEvent {
  return { type: 'informational', status, reason: 'Early Hints', headers: new HttpHeaders(['Link', '</a.css>']) };
}

function data(piece: string | Uint8Array, pause: () => () => void = () => () => undefined): DataEvent {
  return { type: 'data', data: typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece, pause };
}

function trailers(fields: string[]): TrailersEvent {
  return { type: 'trailers', headers: new HttpHeaders(fields) };
}

/** A response as a plain Observable of its events, synchronous and marble-free. */
function stream(...events: ResponseEvent[]): Observable<ResponseEvent> {
  return of(...events);
}

/** Bytes for a chunk of text, to split a multi-byte character across events. */
const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('readAll()', () => {
  it('joins the body pieces in order into one HttpResponse with the head fields', async () => {
    const outcome = await settle(stream(head(201), data('one '), data('two '), data('three')).pipe(readAll()));
    expect(outcome.completed).toBeTrue();
    expect(outcome.values.length).toBe(1);
    const res = outcome.values[0];
    expect(res).toBeInstanceOf(HttpResponse);
    expect(res.status).toBe(201);
    expect(res.reason).toBe('OK');
    expect(res.version).toBe('1.1');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(Buffer.from(res.body).toString()).toBe('one two three');
    expect(res.trailers).toBeUndefined();
  });

  it('gives an empty body when there are no data events', async () => {
    const res = await firstValueFrom(stream(head(204)).pipe(readAll()));
    expect(res.body.length).toBe(0);
  });

  it('keeps the trailers', async () => {
    const res = await firstValueFrom(stream(head(), data('x'), trailers(['Digest', 'sha-256=abc'])).pipe(readAll()));
    expect(res.trailers?.get('digest')).toBe('sha-256=abc');
    expect(Buffer.from(res.body).toString()).toBe('x');
  });

  it('skips informational events', async () => {
    const outcome = await settle(stream(informational(100), informational(103), head(200), data('ok')).pipe(readAll()));
    expect(outcome.values.map((r) => r.status)).toEqual([200]);
    expect(outcome.values[0].headers.has('link')).toBeFalse();
  });

  it('errors with TypeError when the stream completes without a head', async () => {
    const empty = await settle(stream().pipe(readAll()));
    expect(empty.values).toEqual([]);
    expect(empty.error).toBeInstanceOf(TypeError);
    // An interim response is not a head.
    const onlyInterim = await settle(stream(informational(100)).pipe(readAll()));
    expect(onlyInterim.values).toEqual([]);
    expect(onlyInterim.error).toBeInstanceOf(TypeError);
  });

  it('passes an error through, emitting nothing', async () => {
    const failure = new Error('lost');
    const outcome = await settle(
      concat(
        stream(head(), data('part')),
        throwError(() => failure),
      ).pipe(readAll()),
    );
    expect(outcome.values).toEqual([]);
    expect(outcome.completed).toBeFalse();
    expect(outcome.error).toBe(failure);
  });
});

describe('text() and json()', () => {
  it('text() decodes the joined body as UTF-8, even a character split across pieces', async () => {
    const bytes = utf8('héllo wörld');
    const events = stream(head(), data(bytes.subarray(0, 2)), data(bytes.subarray(2, 8)), data(bytes.subarray(8)));
    expect(await firstValueFrom(events.pipe(text()))).toBe('héllo wörld');
  });

  it('json() parses the joined body', async () => {
    const events = stream(head(), data('{"items":'), data('[1,2],"ok":true}'));
    expect(await firstValueFrom(events.pipe(json<{ items: number[]; ok: boolean }>()))).toEqual({ items: [1, 2], ok: true });
  });

  it('json() errors with SyntaxError on a body that is not JSON', async () => {
    const outcome = await settle(stream(head(), data('<html>')).pipe(json()));
    expect(outcome.error).toBeInstanceOf(SyntaxError);
  });

  it('text() and json() pass the errors of readAll() through', async () => {
    expect((await settle(stream().pipe(text()))).error).toBeInstanceOf(TypeError);
    const failure = new Error('lost');
    expect((await settle(throwError(() => failure).pipe(json()))).error).toBe(failure);
  });
});

describe('HttpResponse', () => {
  it('text() turns malformed UTF-8 into U+FFFD instead of throwing', () => {
    const res = new HttpResponse(head(), Uint8Array.from([0x68, 0xff, 0x69, 0xc3]));
    expect(res.text()).toBe('h\uFFFDi\uFFFD');
  });

  it('json() throws SyntaxError when the body is not JSON', () => {
    expect(() => new HttpResponse(head(), utf8('{"a":')).json()).toThrowError(SyntaxError);
    expect(new HttpResponse(head(), utf8('[1]')).json()).toEqual([1]);
  });
});

describe('writeTo()', () => {
  /** Everything written into a PassThrough so far. */
  function contents(sink: PassThrough): string {
    const chunks: Buffer[] = [];
    for (let chunk = sink.read(); chunk !== null; chunk = sink.read()) chunks.push(chunk);
    return Buffer.concat(chunks).toString();
  }

  it('emits the head, writes every piece in order, and completes', async () => {
    const sink = new PassThrough();
    const outcome = await settle(
      stream(informational(), head(200), data('a'), data('bb'), data('ccc'), trailers(['X', 'y'])).pipe(writeTo(sink)),
    );
    expect(outcome.completed).toBeTrue();
    expect(outcome.values.map((e) => `${e.type} ${e.status}`)).toEqual(['head 200']);
    expect(contents(sink)).toBe('abbccc');
  });

  it('does not end the sink, so several bodies can go into one', async () => {
    const sink = new PassThrough();
    const first = await settle(stream(head(), data('first '), data('body, ')).pipe(writeTo(sink)));
    const second = await settle(stream(head(), data('second body')).pipe(writeTo(sink)));
    expect([first.completed, second.completed]).toEqual([true, true]);
    expect(sink.writable).toBeTrue();
    expect(sink.writableEnded).toBeFalse();
    sink.end('.');
    expect(contents(sink)).toBe('first body, second body.');
  });

  it("errors with the sink's error when the sink fails during the transfer, and stops reading the source", async () => {
    const sink = new PassThrough();
    const source = new Subject<ResponseEvent>();
    const outcome = settle(source.pipe(writeTo(sink)));
    source.next(head());
    source.next(data('partial'));
    const failure = new Error('disk full');
    sink.destroy(failure);
    const result = await outcome;
    expect(result.error).toBe(failure);
    expect(result.completed).toBeFalse();
    expect(source.observed).toBeFalse();
  });

  /** A sink that is always full and records its listeners, to fire them by hand. */
  function fullSink() {
    const listeners = new Map<string, Set<(arg?: unknown) => void>>();
    const written: string[] = [];
    const sink: Sink & { emit(event: string, arg?: unknown): void; listening(event: string): number } = {
      write(chunk) {
        written.push(Buffer.from(chunk).toString());
        return false;
      },
      once(event: string, listener: (arg?: unknown) => void) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(listener);
        return sink;
      },
      off(event: string, listener: (arg?: unknown) => void) {
        listeners.get(event)?.delete(listener);
        return sink;
      },
      emit(event, arg) {
        const now = [...(listeners.get(event) ?? [])];
        listeners.get(event)?.clear();
        now.forEach((listener) => listener(arg));
      },
      listening: (event) => listeners.get(event)?.size ?? 0,
    };
    return { sink, written };
  }

  it('pauses the connection when the sink is full and lifts the pause when the sink closes', async () => {
    const { sink, written } = fullSink();
    const resume = jasmine.createSpy('resume');
    const pause = jasmine.createSpy('pause').and.returnValue(resume);
    const outcome = await settle(stream(head(), data('x', pause), data('y', pause)).pipe(writeTo(sink)));
    expect(outcome.completed).toBeTrue();
    expect(written).toEqual(['x', 'y']);
    // One pause while the sink stays full, however many pieces it takes meanwhile.
    expect(pause).toHaveBeenCalledTimes(1);
    expect(resume).not.toHaveBeenCalled();
    // The sink will never drain: it closed.
    sink.emit('close');
    expect(resume).toHaveBeenCalledTimes(1);
    expect(sink.listening('drain')).toBe(0);
  });

  it('lifts the pause when the sink drains', async () => {
    const { sink } = fullSink();
    const resume = jasmine.createSpy('resume');
    const outcome = await settle(
      stream(
        head(),
        data('x', () => resume),
      ).pipe(writeTo(sink)),
    );
    expect(outcome.completed).toBeTrue();
    expect(resume).not.toHaveBeenCalled();
    sink.emit('drain');
    expect(resume).toHaveBeenCalledTimes(1);
    expect(sink.listening('close')).toBe(0);
  });
});

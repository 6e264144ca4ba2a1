import { from, Subject, takeWhile } from 'rxjs';
import { ConnectionClosed, InvalidResponse } from '../../lib/errors';
import type { ParsedEvent } from '../../lib/http1/parser';
import { parseResponses } from '../../lib/connection/parseResponses';
import { bytes, data, END, head, normalise } from '../support/parse';

const OK = 'HTTP/1.1 200 OK\r\n';
const CHUNKED = `${OK}Transfer-Encoding: chunked\r\n\r\n`;

describe('parseResponses()', () => {
  const pieces = (...texts: string[]) => from(texts.map(bytes));

  function collect(source: ReturnType<typeof pieces>, headRequest = () => false) {
    const events: ParsedEvent[] = [];
    const outcome: { error?: unknown; complete: boolean } = { complete: false };
    source.pipe(parseResponses(headRequest)).subscribe({
      next: (event) => events.push(event),
      error: (err) => (outcome.error = err),
      complete: () => (outcome.complete = true),
    });
    return { events, outcome };
  }

  it('emits the events of byte pieces in order and completes when the source completes between responses', () => {
    const { events, outcome } = collect(pieces(`${OK}Content-Len`, 'gth: 2\r\n\r\no', `k${CHUNKED}0\r\n\r\n`));
    expect(normalise(events)).toEqual([
      head(200, 'OK', [['Content-Length', '2']]),
      data('ok'),
      END,
      head(200, 'OK', [['Transfer-Encoding', 'chunked']]),
      END,
    ]);
    expect(outcome).toEqual({ complete: true });
  });

  it('asks its headRequest function once per final response', () => {
    const headRequest = jasmine.createSpy('headRequest').and.returnValues(true, false);
    const { events, outcome } = collect(
      pieces(`${OK}Content-Length: 5\r\n\r\n`, `HTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 1\r\n\r\nx`),
      headRequest,
    );
    expect(headRequest).toHaveBeenCalledTimes(2);
    expect(normalise(events).map((e) => e.type)).toEqual(['head', 'end', 'informational', 'head', 'data', 'end']);
    expect(outcome.complete).toBe(true);
  });

  it('ends a read-until-close body with end and then completes when the source completes', () => {
    const { events, outcome } = collect(pieces(`${OK}\r\nabc`, 'def'));
    expect(normalise(events)).toEqual([head(200, 'OK'), data('abcdef'), END]);
    expect(outcome.complete).toBe(true);
  });

  it('errors with ConnectionClosed (sent: true) when the source completes in the middle of a response', () => {
    const { events, outcome } = collect(pieces(`${OK}Content-Length: 5\r\n\r\nhel`));
    expect(normalise(events)).toEqual([head(200, 'OK', [['Content-Length', '5']]), data('hel')]);
    expect(outcome.complete).toBe(false);
    expect(outcome.error).toBeInstanceOf(ConnectionClosed);
    expect((outcome.error as ConnectionClosed).sent).toBe(true);
  });

  it('errors with ConnectionClosed when the source completes after a 1xx response only', () => {
    const { outcome } = collect(pieces('HTTP/1.1 100 Continue\r\n\r\n'));
    expect(outcome.complete).toBe(false);
    expect(outcome.error).toBeInstanceOf(ConnectionClosed);
  });

  it('errors with InvalidResponse on a parse error, after the events before it', () => {
    const { events, outcome } = collect(pieces(`${OK}Content-Length: 1\r\n\r\nx`, `${OK}Bad Line\r\n\r\n`, `${OK}\r\n`));
    expect(normalise(events)).toEqual([head(200, 'OK', [['Content-Length', '1']]), data('x'), END]);
    expect(outcome.error).toBeInstanceOf(InvalidResponse);
    expect(outcome.complete).toBe(false);
  });

  it('passes a source error on as it is', () => {
    const source = new Subject<Uint8Array>();
    const errors: unknown[] = [];
    source.pipe(parseResponses(() => false)).subscribe({ error: (err) => errors.push(err) });
    const boom = new Error('socket error');
    source.error(boom);
    expect(errors).toEqual([boom]);
  });

  it('applies the limits it is given', () => {
    const errors: unknown[] = [];
    pieces(`${OK}Content-Length: 100\r\n\r\n`)
      .pipe(parseResponses(() => false, { maxHeaderSize: 1024, maxResponseSize: 10 }))
      .subscribe({ error: (err) => errors.push(err) });
    expect(errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(InvalidResponse);
  });

  it('stops the parser when the subscriber unsubscribes in the middle of a chunk', () => {
    const headRequest = jasmine.createSpy('headRequest').and.returnValue(false);
    const source = new Subject<Uint8Array>();
    const events: ParsedEvent[] = [];
    const subscription = source.pipe(parseResponses(headRequest)).subscribe((event) => events.push(event));
    source.next(bytes(`${CHUNKED}a\r\n01234`));
    subscription.unsubscribe();
    expect(source.observed).toBe(false);
    source.next(bytes(`56789\r\n0\r\n\r\n${OK}Content-Length: 0\r\n\r\n`));
    expect(normalise(events)).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']]), data('01234')]);
    expect(headRequest).toHaveBeenCalledTimes(1);
  });

  it('stops parsing the rest of a read when the subscriber unsubscribes from an event (take)', () => {
    const headRequest = jasmine.createSpy('headRequest').and.returnValue(false);
    const events: ParsedEvent[] = [];
    let completed = false;
    from([bytes(`${CHUNKED}3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n${OK}Content-Length: 0\r\n\r\n`), bytes(`${OK}\r\n`)])
      .pipe(
        parseResponses(headRequest),
        takeWhile((event) => event.type !== 'data', true),
      )
      .subscribe({ next: (event) => events.push(event), complete: () => (completed = true) });
    expect(completed).toBe(true);
    expect(normalise(events)).toEqual([head(200, 'OK', [['Transfer-Encoding', 'chunked']]), data('abc')]);
    // The second response in the same read was never parsed.
    expect(headRequest).toHaveBeenCalledTimes(1);
  });
});

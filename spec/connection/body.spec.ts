import { NEVER, Observable, Subject, concat, of, throwError } from 'rxjs';
import { MAX_OBSERVABLE_BACKLOG, writeBody } from '../../lib/connection/body';
import { RequestError } from '../../lib/errors';
import { FakeWire } from '../support/fake-wire';
import { delay } from '../support/observe';

/** Runs writeBody to its end and returns what was written and how it ended. */
function run(
  source: Parameters<typeof writeBody>[0],
  length = -1,
  wire = new FakeWire(),
): Promise<{ text: string; err: RequestError | null }> {
  return new Promise((resolve) => {
    writeBody(source, wire, length, { done: (err) => resolve({ text: wire.text, err }), overrun: () => undefined });
  });
}

async function* pieces(...items: Array<string | Uint8Array>) {
  for (const item of items) yield item;
}

describe('writeBody', () => {
  describe('chunked coding', () => {
    it('frames each piece of an Observable and ends with the last chunk', async () => {
      const { text, err } = await run(of('hello', Buffer.from(' world!')));
      expect(err).toBeNull();
      expect(text).toBe('5\r\nhello\r\n7\r\n world!\r\n0\r\n\r\n');
    });

    it('frames an async generator the same way', async () => {
      expect((await run(pieces('ab', new Uint8Array([0x63])))).text).toBe('2\r\nab\r\n1\r\nc\r\n0\r\n\r\n');
    });

    it('sends an empty stream as the last chunk alone', async () => {
      expect((await run(of<string>())).text).toBe('0\r\n\r\n');
    });

    it('skips empty pieces, which would otherwise end the body early', async () => {
      expect((await run(of('a', '', new Uint8Array(0), 'b'))).text).toBe('1\r\na\r\n1\r\nb\r\n0\r\n\r\n');
    });

    it('encodes strings as UTF-8 and counts their bytes', async () => {
      expect((await run(of('\u00e9'))).text).toBe('2\r\n\u00c3\u00a9\r\n0\r\n\r\n');
    });

    it('writes one huge piece as one chunk', async () => {
      const big = Buffer.alloc(5 * 1024 * 1024, 0x61);
      const wire = new FakeWire();
      await run(of(big), -1, wire);
      expect(wire.writes[0].toString('latin1')).toBe('500000\r\n');
      expect(wire.writes[1].length).toBe(big.length);
    });
  });

  describe('with a contentLength', () => {
    it('sends the bytes as they are', async () => {
      const { text, err } = await run(pieces('abc', 'de'), 5);
      expect(err).toBeNull();
      expect(text).toBe('abcde');
    });

    it('fails with RequestError, before writing the excess, when the stream yields more', async () => {
      const { text, err } = await run(pieces('abc', 'def'), 4);
      expect(err).toBeInstanceOf(RequestError);
      expect(err!.message).toContain('more than its contentLength of 4');
      expect(text).toBe('abc');
    });

    it('reports the body complete once its bytes are written, before the source ends', async () => {
      const { text, err } = await run(concat(of('ab', 'cd'), NEVER), 4);
      expect(err).toBeNull();
      expect(text).toBe('abcd');
    });

    it('reports an overrun, without writing it, when the source yields more after the last byte', async () => {
      const wire = new FakeWire();
      const overrun = await new Promise<RequestError>((resolve) => {
        writeBody(of('abcd', 'ef'), wire, 4, { done: (err) => expect(err).toBeNull(), overrun: resolve });
      });
      expect(overrun).toBeInstanceOf(RequestError);
      expect(overrun.message).toContain('the extra bytes were not sent');
      expect(wire.text).toBe('abcd');
    });

    it('fails with RequestError when the stream yields fewer bytes', async () => {
      const { err } = await run(of('abc'), 4);
      expect(err).toBeInstanceOf(RequestError);
      expect(err!.message).toContain('after 3 of its contentLength of 4');
    });
  });

  describe('failures', () => {
    it('fails with a RequestError whose cause is the source error', async () => {
      const boom = new Error('disk gone');
      const { err } = await run(throwError(() => boom));
      expect(err).toBeInstanceOf(RequestError);
      expect(err!.cause).toBe(boom);
      const fromGenerator = await run(
        (async function* () {
          yield 'a';
          throw boom;
        })(),
      );
      expect(fromGenerator.err!.cause).toBe(boom);
    });

    it('rejects pieces that are neither bytes nor strings', async () => {
      const { err } = await run(of(42 as unknown as string));
      expect(err!.message).toContain('number');
    });

    it('closes an async iterator it stops reading', async () => {
      let finalized = false;
      const source = (async function* () {
        try {
          yield 'abcdef';
          yield 'more';
        } finally {
          finalized = true;
        }
      })();
      await run(source, 2);
      await delay(5);
      expect(finalized).toBeTrue();
    });

    it('unsubscribes an Observable it stops reading', async () => {
      let unsubscribed = false;
      const source = new Observable<string>((subscriber) => {
        subscriber.next('toolong');
        return () => (unsubscribed = true);
      });
      await run(source, 2);
      expect(unsubscribed).toBeTrue();
    });
  });

  describe('backpressure', () => {
    it('does not advance an AsyncIterable while the wire is full', async () => {
      let pulled = 0;
      const source = (async function* () {
        for (let i = 0; i < 10; i++) {
          pulled++;
          yield Buffer.alloc(100);
        }
      })();
      const wire = new FakeWire(250);
      const ended = new Promise((resolve) => writeBody(source, wire, -1, { done: resolve, overrun: () => undefined }));
      await delay(10);
      // 3 pieces of 100 bytes (plus framing) fill a 250-byte buffer.
      expect(pulled).toBe(3);
      expect(wire.waitingForDrain).toBeTrue();
      wire.drain();
      await delay(10);
      expect(pulled).toBe(6);
      while (wire.waitingForDrain) {
        wire.drain();
        await delay(1);
      }
      expect(await ended).toBeNull();
      expect(pulled).toBe(10);
    });

    it('fails an Observable that outruns the socket by more than the bound', async () => {
      const source = new Subject<Uint8Array>();
      const wire = new FakeWire(1024);
      const ended = new Promise<RequestError | null>((resolve) => writeBody(source, wire, -1, { done: resolve, overrun: () => undefined }));
      const piece = Buffer.alloc(1024 * 1024);
      for (let i = 0; i <= MAX_OBSERVABLE_BACKLOG / piece.length && !source.observed === false; i++) source.next(piece);
      const err = await ended;
      expect(err).toBeInstanceOf(RequestError);
      expect(err!.message).toContain('AsyncIterable');
      expect(wire.buffered).toBeLessThanOrEqual(MAX_OBSERVABLE_BACKLOG + 2 * piece.length);
      expect(source.observed).toBeFalse();
    });

    it('stops reading when cancelled', async () => {
      let pulled = 0;
      const source = (async function* () {
        for (;;) {
          pulled++;
          yield 'x';
        }
      })();
      const wire = new FakeWire(3);
      const cancel = writeBody(source, wire, -1, { done: () => fail('a cancelled body must not report an end'), overrun: () => undefined });
      await delay(5);
      cancel();
      const seen = pulled;
      wire.drain();
      await delay(5);
      expect(pulled).toBe(seen);
    });
  });
});

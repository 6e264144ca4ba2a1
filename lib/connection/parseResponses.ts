import { Observable, type OperatorFunction } from 'rxjs';
import { ConnectionClosed } from '../errors';
import { ReadControl } from '../flow';
import { DEFAULT_LIMITS, ResponseParser, type ParsedEvent, type ParserLimits } from '../http1/parser';

/**
 * Parses a stream of socket reads into response events. `headRequest` is
 * asked, per final response, whether its request was HEAD. The source
 * completing between responses (or at the end of a body that runs until the
 * close) completes the output; completing mid-response is a truncation and
 * errors with ConnectionClosed.
 *
 * A source that ends or fails while bytes are held is reported after they
 * are parsed: responses that arrived whole before a reset are delivered.
 *
 * `expose` receives the parser, for a caller that needs its state (how
 * much of a body is left).
 *
 * While `flow` is paused (a consumer called `pause()` on a data event), the
 * rest of the current read is held, unparsed, and parsed on resume; the
 * owner of the socket pauses reading it meanwhile.
 *
 * @example
 * bytes$.pipe(parseResponses(() => false)).subscribe((event) => console.log(event.type));
 */
export function parseResponses(
  headRequest: () => boolean,
  limits: ParserLimits = DEFAULT_LIMITS,
  flow: ReadControl = new ReadControl(),
  expose?: (parser: ResponseParser) => void,
): OperatorFunction<Uint8Array, ParsedEvent> {
  return (source) =>
    new Observable<ParsedEvent>((subscriber) => {
      const parser = new ResponseParser(
        {
          headRequest,
          onEvent(event) {
            subscriber.next(event);
            if (subscriber.closed) parser.stop();
          },
        },
        limits,
        flow,
      );
      expose?.(parser);
      /** Bytes a pause left unparsed; parsed first on resume. */
      let held: Uint8Array | null = null;
      /** The source ended while bytes were held: finish after parsing them. */
      let ended = false;
      /** The source failed while bytes were held: the complete responses among them are delivered first. */
      let failure: { err: unknown } | null = null;

      const feed = (bytes: Uint8Array) => {
        try {
          const used = parser.execute(bytes);
          held = used < bytes.length && !subscriber.closed ? bytes.subarray(used) : null;
        } catch (err) {
          subscriber.error(err);
        }
      };
      const end = () => {
        if (parser.finish()) subscriber.complete();
        else subscriber.error(new ConnectionClosed(`the connection closed ${parser.cutAt()}`, { sent: true }));
      };
      const resume = () => {
        if (flow.paused || held === null || subscriber.closed) return;
        const rest = held;
        held = null;
        feed(rest);
        if (held !== null || subscriber.closed) return;
        if (failure !== null) subscriber.error(failure.err);
        else if (ended) end();
      };
      // The held bytes are parsed in a microtask, not inside the call that
      // lifted the pause: that may be an unsubscribe() or a drain handler,
      // which should not see other responses' events run within it.
      flow.onChange(() => {
        if (!flow.paused && held !== null) queueMicrotask(resume);
      });

      const subscription = source.subscribe({
        next(bytes) {
          // A read that was already on its way when the pause came waits behind the held bytes.
          if (held !== null) held = Buffer.concat([held, bytes]);
          else feed(bytes);
        },
        error(err) {
          if (held !== null) failure = { err };
          else subscriber.error(err);
        },
        complete() {
          if (held !== null) ended = true;
          else end();
        },
      });
      return () => {
        parser.stop();
        subscription.unsubscribe();
      };
    });
}

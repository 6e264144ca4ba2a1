import type { Subscriber } from 'rxjs';
import { ConnectionClosed, RequestError } from '../errors';
import type { ResponseEvent } from '../events';
import { serializeRequest, type RequestInit } from '../http1/serializer';
import { claimStream } from './body';
import { Exchange } from './exchange';
import { forRequest } from './naming';
import type { Origin } from './origin';

/**
 * Turns a subscribed request into an Exchange ready for a queue, or errors
 * `subscriber` and returns null: the connection (or pool) no longer takes
 * requests, or the request is invalid. Nothing is written for either.
 *
 * @example
 * const exchange = admit(origin, 'GET', '/', undefined, subscriber, null);
 * if (exchange !== null) pipeline.enqueue(exchange);
 */
export function admit(
  origin: Origin,
  method: string,
  path: string,
  init: RequestInit | undefined,
  subscriber: Subscriber<ResponseEvent>,
  refusal: 'closed' | 'destroyed' | null,
): Exchange | null {
  if (refusal !== null) {
    subscriber.error(new ConnectionClosed(`${method} ${path}: the connection was ${refusal}: it takes no new requests`, { sent: false }));
    return null;
  }
  try {
    const request = serializeRequest(method, path, init, origin.host);
    // The request now owns its stream: an iterator read twice would send a partial body.
    if (request.stream !== null && !claimStream(request.stream)) {
      throw new RequestError(
        'this AsyncIterable body belongs to another request: a retry needs a fresh stream (build the request in defer())',
      );
    }
    return new Exchange(request, subscriber);
  } catch (err) {
    // An invalid method or path is quoted by the message itself.
    subscriber.error(
      typeof method === 'string' && typeof path === 'string' && !/^invalid (method|path)/.test((err as Error).message)
        ? forRequest(err, { method, path })
        : err,
    );
    return null;
  }
}

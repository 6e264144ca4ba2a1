import {
  ConnectError,
  ConnectionClosed,
  HttpioError,
  InvalidResponse,
  RequestError,
  ResponseTimeout,
  UnsupportedResponse,
} from '../errors';

/**
 * The error a request's caller receives: one of its own, whose message
 * starts with the request's method and path, so that in a pipeline of
 * hundreds one log line tells which request failed and why. A shared error
 * (one ConnectError for every waiting request, a parse error that also
 * takes down the requests behind) is copied, keeping its class, `sent` and
 * `cause`; one that names the request already is passed on as it is.
 *
 * @example
 * subscriber.error(forRequest(err, exchange.request)); // "GET /items/7: the connection to 10.0.0.5:80 was lost: ECONNRESET"
 */
export function forRequest(err: unknown, request: { readonly method: string; readonly path: string }): unknown {
  if (!(err instanceof HttpioError)) return err;
  const name = `${request.method} ${request.path}`;
  if (err.message.startsWith(name)) return err;
  const message = `${name}: ${err.message}`;
  const options = err.cause === undefined ? {} : { cause: err.cause };
  if (err instanceof ConnectionClosed) return new ConnectionClosed(message, { ...options, sent: err.sent });
  if (err instanceof ConnectError) return new ConnectError(message, options);
  if (err instanceof InvalidResponse) return new InvalidResponse(message, options);
  if (err instanceof UnsupportedResponse) return new UnsupportedResponse(message, options);
  if (err instanceof ResponseTimeout) return new ResponseTimeout(message, options);
  if (err instanceof RequestError) return new RequestError(message, options);
  return err;
}

import { map, type OperatorFunction } from 'rxjs';
import type { ResponseEvent } from '../events';
import { readAll } from './readAll';

/**
 * The response body parsed as JSON.
 *
 * @example
 * conn.request('GET', '/items').pipe(json<Item[]>()).subscribe((items) => render(items));
 */
export function json<T = unknown>(): OperatorFunction<ResponseEvent, T> {
  return (source) =>
    source.pipe(
      readAll(),
      map((response) => response.json<T>()),
    );
}

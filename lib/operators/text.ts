import { map, type OperatorFunction } from 'rxjs';
import type { ResponseEvent } from '../events';
import { readAll } from './readAll';

/**
 * The response body as text (UTF-8).
 *
 * @example
 * conn.request('GET', '/readme').pipe(text()).subscribe(console.log);
 */
export function text(): OperatorFunction<ResponseEvent, string> {
  return (source) =>
    source.pipe(
      readAll(),
      map((response) => response.text()),
    );
}

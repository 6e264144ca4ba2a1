import * as httpio from '../lib';
import {
  ConnectError,
  ConnectionClosed,
  HttpioError,
  InvalidResponse,
  RequestError,
  ResponseTimeout,
  UnsupportedResponse,
} from '../lib/errors';

describe('errors', () => {
  // Every class, its name literal and its stable code: what callers switch on and log.
  const classes: Array<{
    make: (cause?: unknown) => HttpioError;
    type: abstract new (...args: never[]) => HttpioError;
    name: string;
    code: string;
  }> = [
    { make: (cause) => new HttpioError('m', { cause }), type: HttpioError, name: 'HttpioError', code: 'HTTPIO_ERROR' },
    {
      make: (cause) => new ConnectionClosed('m', { sent: false, cause }),
      type: ConnectionClosed,
      name: 'ConnectionClosed',
      code: 'HTTPIO_CONNECTION_CLOSED',
    },
    {
      make: (cause) => new InvalidResponse('m', { cause }),
      type: InvalidResponse,
      name: 'InvalidResponse',
      code: 'HTTPIO_INVALID_RESPONSE',
    },
    {
      make: (cause) => new UnsupportedResponse('m', { cause }),
      type: UnsupportedResponse,
      name: 'UnsupportedResponse',
      code: 'HTTPIO_UNSUPPORTED_RESPONSE',
    },
    { make: (cause) => new RequestError('m', { cause }), type: RequestError, name: 'RequestError', code: 'HTTPIO_REQUEST_ERROR' },
    { make: (cause) => new ConnectError('m', { cause }), type: ConnectError, name: 'ConnectError', code: 'HTTPIO_CONNECT_ERROR' },
    {
      make: (cause) => new ResponseTimeout('m', { cause }),
      type: ResponseTimeout,
      name: 'ResponseTimeout',
      code: 'HTTPIO_RESPONSE_TIMEOUT',
    },
  ];

  for (const { make, type, name, code } of classes) {
    describe(name, () => {
      it('extends HttpioError and Error, and is its own class', () => {
        const err = make();
        expect(err).toBeInstanceOf(type);
        expect(err).toBeInstanceOf(HttpioError);
        expect(err).toBeInstanceOf(Error);
        expect(err.message).toBe('m');
      });

      it(`has the name ${name} and the code ${code}`, () => {
        const err = make();
        expect(err.name).toBe(name);
        expect(err.code).toBe(code);
        // The name shows in stack traces and String(err).
        expect(String(err)).toBe(`${name}: m`);
      });

      it('keeps its cause', () => {
        const cause = new Error('underneath');
        expect(make(cause).cause).toBe(cause);
        expect(make().cause).toBeUndefined();
      });
    });
  }

  it('gives every class a distinct code, and no subclass the base class code', () => {
    const codes = classes.map(({ make }) => make().code);
    expect(new Set(codes).size).toBe(classes.length);
  });

  it('tells one class from another by instanceof', () => {
    for (const { make, type } of classes.slice(1)) {
      for (const other of classes.slice(1)) {
        expect(make() instanceof other.type)
          .withContext(`${type.name} instanceof ${other.name}`)
          .toBe(other.type === type);
      }
    }
  });

  it('keeps sent on ConnectionClosed, true and false', () => {
    expect(new ConnectionClosed('m', { sent: true }).sent).toBeTrue();
    expect(new ConnectionClosed('m', { sent: false }).sent).toBeFalse();
    const cause = new Error('reset');
    const err = new ConnectionClosed('m', { sent: true, cause });
    expect(err.sent).toBeTrue();
    expect(err.cause).toBe(cause);
  });
});

describe('the public surface (lib/index.ts)', () => {
  it('exports exactly the public runtime names', () => {
    expect(Object.keys(httpio).sort()).toEqual(
      [
        'HttpConnection',
        'HttpPool',
        'HttpAgent',
        'HttpHeaders',
        'HttpResponse',
        'readAll',
        'text',
        'json',
        'writeTo',
        'proxyFromEnv',
        'lines',
        'ndjson',
        'sse',
        'decompress',
        'ensureOk',
        'fetchEach',
        'HttpStatusError',
        'HttpioError',
        'ConnectionClosed',
        'InvalidResponse',
        'UnsupportedResponse',
        'RequestError',
        'ConnectError',
        'ResponseTimeout',
        'DEFAULT_OPTIONS',
      ].sort(),
    );
  });

  it('exports the same classes and functions that the modules define', () => {
    expect(httpio.HttpioError).toBe(HttpioError);
    expect(httpio.ConnectionClosed).toBe(ConnectionClosed);
    expect(httpio.ResponseTimeout).toBe(ResponseTimeout);
    expect(typeof httpio.HttpConnection).toBe('function');
    expect(typeof httpio.writeTo).toBe('function');
    expect(httpio.DEFAULT_OPTIONS.maxPipelined).toBe(10);
  });
});

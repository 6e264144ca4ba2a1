import * as fs from 'node:fs';
import * as path from 'node:path';
import { ScriptServer, response } from '../support/script-server';
import { BIN, closedPort, makeTemp, removeTemp, runBin } from './bin';

// The built bin as a child process against a scripted server on 127.0.0.1:
// where URLs come from, what reaches the server, and the exit status.

const SPEC_MS = 20_000;
const HINT = 'usage: httpio [options] URL...';

describe('httpio (the bin): input, requests and exit status', () => {
  let server: ScriptServer;
  let temp: string;

  beforeEach(async () => {
    server = await ScriptServer.respondEach((req) =>
      req.path.startsWith('/status/') ? response(Number(req.path.slice(8)), 'error page') : response(200, `${req.path};`),
    );
    temp = makeTemp();
  });

  afterEach(async () => {
    await server.close();
    removeTemp(temp);
  });

  describe('URLs', () => {
    it(
      'reads -i FILE one URL a line, skipping blank lines and # comments, after the arguments',
      async () => {
        const list = path.join(temp, 'urls.txt');
        fs.writeFileSync(list, `# a comment\n${server.url}/f1\r\n\n   \n  ${server.url}/f2  \n#${server.url}/skipped\n${server.url}/f3`);
        const run = await runBin([`${server.url}/arg`, '-i', list]);
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout.toString()).toBe('/arg;/f1;/f2;/f3;');
      },
      SPEC_MS,
    );

    it(
      'reads -i - from stdin',
      async () => {
        const run = await runBin(['-i', '-'], { stdin: `${server.url}/s1\n${server.url}/s2\n` });
        expect(run.status).toBe(0);
        expect(run.stdout.toString()).toBe('/s1;/s2;');
      },
      SPEC_MS,
    );
  });

  describe('requests', () => {
    it(
      'sends -X and every -H, repeats included, and -d as the body',
      async () => {
        const run = await runBin([
          '-X',
          'PUT',
          '-H',
          'X-Tag: one',
          '-H',
          'x-tag:two',
          '-H',
          'Accept: text/plain',
          '-d',
          'hello',
          `${server.url}/put`,
        ]);
        expect(run.status).toBe(0);
        const [req] = server.requests;
        expect(req!.method).toBe('PUT');
        expect(req!.header('x-tag')).toBe('one, two');
        expect(req!.header('accept')).toBe('text/plain');
        expect(req!.body.toString()).toBe('hello');
        expect(req!.header('content-length')).toBe('5');
      },
      SPEC_MS,
    );

    it(
      'makes -d without -X a POST, and GET without -d',
      async () => {
        await runBin(['-d', 'x=1', `${server.url}/post`]);
        await runBin([`${server.url}/get`]);
        expect(server.requests.map((r) => [r.method, r.path, r.body.toString()])).toEqual([
          ['POST', '/post', 'x=1'],
          ['GET', '/get', ''],
        ]);
      },
      SPEC_MS,
    );

    it(
      'streams --data @file to every URL with its size as Content-Length',
      async () => {
        const file = path.join(temp, 'upload.bin');
        const bytes = Buffer.alloc(300_000, 'abcdefghij'); // several reads of a file stream
        fs.writeFileSync(file, bytes);
        const run = await runBin(['-c', '1', '--data', `@${file}`, `${server.url}/u1`, `${server.url}/u2`]);
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(server.requests.length).toBe(2);
        for (const req of server.requests) {
          expect(req.method).toBe('POST');
          expect(req.header('content-length')).toBe(String(bytes.length));
          expect(req.header('transfer-encoding')).toBeUndefined();
          expect(req.body.equals(bytes)).withContext(req.path).toBeTrue();
        }
      },
      SPEC_MS,
    );
  });

  describe('exit status and stderr', () => {
    it(
      'is 0 with nothing on stderr (a pipe: no progress line) when every response is 2xx',
      async () => {
        const run = await runBin([`${server.url}/a`, `${server.url}/b`]);
        expect(run.status).toBe(0);
        expect(run.stderr).toBe('');
      },
      SPEC_MS,
    );

    it(
      'is 1 for a non-2xx status, names its URL on stderr, and still writes the other bodies',
      async () => {
        const failed = `${server.url}/status/404`;
        const run = await runBin([`${server.url}/a`, failed, `${server.url}/b`]);
        expect(run.status).toBe(1);
        expect(run.stdout.toString()).toBe('/a;/b;');
        expect(run.stderr).toBe(`httpio: ${failed}: HTTP 404 Status\n`);
      },
      SPEC_MS,
    );

    it(
      'is 1 for a connection error, which stderr and --json name with the URL',
      async () => {
        const refused = `http://127.0.0.1:${await closedPort()}/nobody`;
        const run = await runBin(['--json', `${server.url}/a`, refused]);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`httpio: ${refused}: `);
        expect(run.stderr.trimEnd().split('\n').length).toBe(1);
        const lines = run.stdout
          .toString()
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(lines[0]).toEqual(jasmine.objectContaining({ url: `${server.url}/a`, status: 200 }));
        expect(lines[1]).toEqual(jasmine.objectContaining({ url: refused, status: null, bytes: 0 }));
        expect(lines[1].error).toMatch(/127\.0\.0\.1/);
      },
      SPEC_MS,
    );

    it(
      'with -s says nothing on stderr, failures included, and still exits 1',
      async () => {
        const run = await runBin(['-s', `${server.url}/status/500`, `http://127.0.0.1:${await closedPort()}/x`]);
        expect(run.status).toBe(1);
        expect(run.stderr).toBe('');
      },
      SPEC_MS,
    );

    const usage: Array<[string, string[], RegExp]> = [
      ['an unknown option', ['--bogus', 'URL'], /Unknown option '--bogus'/],
      ['no URL', [], /no URL given/],
      ['an -i file with no URL in it', ['-i', 'EMPTY'], /no URL given/],
      ['a -p that is not a number', ['-p', 'ten', 'URL'], /-p "ten": not a whole number/],
      ['a -c of 0', ['-c', '0', 'URL'], /-c "0": not a whole number/],
      ['a -p of 1.5', ['-p', '1.5', 'URL'], /-p "1.5"/],
      ['an unreadable -i file', ['-i', 'MISSING', 'URL'], /-i .*missing.txt: no such file/],
      ['an unreadable -d @file', ['-d', '@MISSING', 'URL'], /-d @.*missing.txt: no such file/],
      ['a URL that is not absolute', ['/just/a/path'], /argument 1: "\/just\/a\/path" is not an absolute URL/],
      ['a URL that is not http', ['ftp://127.0.0.1/x'], /not an http: or https: URL/],
      ['a header without a colon', ['-H', 'NoColon', 'URL'], /-H "NoColon": not 'Name: value'/],
      ['a bad method', ['-X', 'GE T', 'URL'], /-X "GE T": not a method name/],
    ];
    for (const [what, args, message] of usage) {
      it(
        `is 2 for ${what}, with a one-line usage hint, and sends nothing`,
        async () => {
          const empty = path.join(temp, 'empty.txt');
          fs.writeFileSync(empty, '# nothing\n\n');
          const real = args.map((a) =>
            a === 'URL' ? `${server.url}/never` : a === 'EMPTY' ? empty : a.replace('MISSING', path.join(temp, 'missing.txt')),
          );
          const run = await runBin(real);
          expect(run.status).toBe(2);
          expect(run.stdout.length).toBe(0);
          const lines = run.stderr.trimEnd().split('\n');
          expect(lines.length).toBe(2);
          expect(lines[0]).toMatch(/^httpio: /);
          expect(lines[0]).toMatch(message);
          expect(lines[1]).toContain(HINT);
          expect(server.requests.length).toBe(0);
          expect(server.connections.length).toBe(0);
        },
        SPEC_MS,
      );
    }

    it(
      'prints the usage with --help and the package version with --version, exit 0',
      async () => {
        const help = await runBin(['--help']);
        expect(help.status).toBe(0);
        expect(help.stdout.toString()).toContain(HINT);
        for (const flag of ['-i', '-o', '-X', '-H', '-d', '-p', '-c', '-s', '--json']) {
          expect(help.stdout.toString()).toMatch(new RegExp(`\\s${flag}[ ,]`));
        }
        const version = await runBin(['--version']);
        expect(version.status).toBe(0);
        const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(BIN), '../../package.json'), 'utf8'));
        expect(version.stdout.toString()).toBe(`${pkg.version}\n`);
      },
      SPEC_MS,
    );

    it('starts the built file with a #!/usr/bin/env node line, for the package.json bin', () => {
      expect(fs.readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    });
  });
});

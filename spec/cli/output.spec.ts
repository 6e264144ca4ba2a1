import * as fs from 'node:fs';
import * as path from 'node:path';
import { ScriptServer, response } from '../support/script-server';
import { NameAllocator, fileNameFor } from '../../lib/cli/names';
import { makeTemp, removeTemp, runBin } from './bin';

// The built bin as a child process, its stdout and stderr on pipes, against
// a scripted server on 127.0.0.1: where the bodies go and in what order.

const SPEC_MS = 20_000;

describe('httpio (the bin): output', () => {
  let server: ScriptServer;
  let temp: string;

  beforeEach(async () => {
    // /slow/… answers after 150 ms, so with several connections later URLs are answered first.
    server = await ScriptServer.respondEach(async (req) => {
      if (req.path.startsWith('/slow/')) await new Promise((resolve) => setTimeout(resolve, 150));
      if (req.path.startsWith('/status/')) return response(Number(req.path.slice(8)), `error page ${req.path}`);
      return response(200, `body of ${req.path}\n`);
    });
    temp = makeTemp();
  });

  afterEach(async () => {
    await server.close();
    removeTemp(temp);
  });

  it(
    'writes the bodies to stdout in the order given, even when later ones are answered first',
    async () => {
      const paths = ['/slow/1', '/2', '/3', '/slow/4', '/5', '/6', '/7', '/8'];
      const run = await runBin(['-c', '4', '-p', '2', ...paths.map((p) => server.url + p)]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout.toString()).toBe(paths.map((p) => `body of ${p}\n`).join(''));
      // The fast ones were answered before /slow/1: the order above is the bin's doing, not the server's.
      expect(server.connections.length).toBeGreaterThan(1);
    },
    SPEC_MS,
  );

  it(
    'pipelines: with -c 1 -p 8, eight requests are on the wire before the server answers them',
    async () => {
      const pipelined = await ScriptServer.start(async (conn) => {
        // The first request on a connection goes alone (docs/pool.md); once it is answered, the pipeline fills.
        const req = await conn.nextRequest(3000);
        await conn.write(response(200, `${req.path};`));
        const next = [];
        for (let i = 0; i < 8; i++) next.push(await conn.nextRequest(3000)); // times out unless the client pipelines
        for (const req of next) await conn.write(response(200, `${req.path};`));
        for (;;) {
          const req = await conn.nextRequest(Infinity).catch(() => null);
          if (req === null) return conn.end();
          await conn.write(response(200, `${req.path};`));
        }
      });
      try {
        const paths = Array.from({ length: 20 }, (_, i) => `/p${i}`);
        const run = await runBin(['-c', '1', '-p', '8', ...paths.map((p) => pipelined.url + p)]);
        expect(pipelined.errors).toEqual([]);
        expect(run.stdout.toString()).toBe(paths.map((p) => `${p};`).join(''));
        expect(run.status).toBe(0);
        expect(pipelined.connections.length).toBe(1);
      } finally {
        await pipelined.close();
      }
    },
    SPEC_MS,
  );

  it(
    'fetches a few hundred URLs of one origin over at most -c connections, all in order',
    async () => {
      const paths = Array.from({ length: 600 }, (_, i) => `/item/${i}`);
      const list = path.join(temp, 'urls.txt');
      fs.writeFileSync(list, paths.map((p) => server.url + p).join('\n'));
      const run = await runBin(['-c', '3', '-i', list]);
      expect(run.status).toBe(0);
      expect(run.stdout.toString()).toBe(paths.map((p) => `body of ${p}\n`).join(''));
      expect(server.connections.length).toBeLessThanOrEqual(3);
      expect(server.requests.length).toBe(600);
    },
    SPEC_MS,
  );

  it(
    'with -o DIR writes one file per URL, named by the rule, the bodies byte for byte, and nothing to stdout',
    async () => {
      const dir = path.join(temp, 'out', 'nested'); // made as mkdir -p does
      const urls = ['/a/b', '/a_b', '/x.json?page=2', '/'].map((p) => server.url + p);
      const run = await runBin(['-o', dir, ...urls]);
      expect(run.status).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout.length).toBe(0);
      const port = new URL(server.url).port;
      const files = fs.readdirSync(dir).sort();
      expect(files.length).toBe(4);
      // '/a/b' and '/a_b' map to the same name: the second gets its URL's hash.
      expect(files).toContain(`127.0.0.1_${port}_a_b`);
      expect(files.find((f) => /^127\.0\.0\.1_\d+_a_b-[0-9a-f]{10}$/.test(f))).toBeDefined();
      expect(fs.readFileSync(path.join(dir, `127.0.0.1_${port}_x.json_page_2`), 'utf8')).toBe('body of /x.json?page=2\n');
      expect(fs.readFileSync(path.join(dir, `127.0.0.1_${port}`), 'utf8')).toBe('body of /\n');
      expect(fs.readFileSync(path.join(dir, `127.0.0.1_${port}_a_b`), 'utf8')).toBe('body of /a/b\n');
    },
    SPEC_MS,
  );

  it(
    'keeps hostile URL paths inside DIR: dots, encoded slashes and backslashes name plain files in it',
    async () => {
      const dir = path.join(temp, 'out');
      const hostile = ['/../../etc/passwd', '/..%2F..%2Fescape', '/%2e%2e%2f%2e%2e%2fup', '/..\\..\\win', '/.hidden', '/a/..', '/...'];
      // -c 1: the server sees the requests in input order, so server.requests[i] is URL i's.
      const run = await runBin(['-c', '1', '-o', dir, ...hostile.map((p) => server.url + p)]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // Nothing outside DIR: temp holds only it, and DIR only plain files.
      expect(fs.readdirSync(temp)).toEqual(['out']);
      const entries = fs.readdirSync(dir, { withFileTypes: true });
      expect(entries.length).toBe(hostile.length);
      for (const entry of entries) {
        expect(entry.isFile()).withContext(entry.name).toBeTrue();
        expect(entry.name).not.toMatch(/\.\.|^[.-]|[/\\]/);
      }
      // Each file is where the rule says ('/a/..' is '/' and '/...' maps to its name too, so it gets a hash)
      // and holds the body the server sent for what httpio requested.
      const names = new NameAllocator();
      for (const [i, p] of hostile.entries()) {
        const name = names.allocate(new URL(server.url + p));
        const sent = server.requests[i]!.path;
        expect(fs.readFileSync(path.join(dir, name), 'utf8'))
          .withContext(p)
          .toBe(`body of ${sent}\n`);
      }
    },
    SPEC_MS,
  );

  it(
    'with --json prints one summary line per URL in order instead of the bodies',
    async () => {
      const urls = ['/a', '/status/404', '/bb'].map((p) => server.url + p);
      const run = await runBin(['--json', '-s', ...urls]);
      expect(run.status).toBe(1);
      const lines = run.stdout
        .toString()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.url, l.status, l.bytes])).toEqual([
        [urls[0], 200, 'body of /a\n'.length],
        [urls[1], 404, 'error page /status/404'.length],
        [urls[2], 200, 'body of /bb\n'.length],
      ]);
      for (const line of lines) {
        expect(Object.keys(line).sort()).toEqual(['bytes', 'ms', 'status', 'url']);
        expect(line.ms).toBeGreaterThanOrEqual(0);
        expect(line.ms).toBeLessThan(5000);
      }
    },
    SPEC_MS,
  );

  it(
    'with --json and -o writes the bodies to files and the summaries, with the file, to stdout',
    async () => {
      const dir = path.join(temp, 'out');
      const run = await runBin(['--json', '-o', dir, `${server.url}/one`, `${server.url}/status/500`]);
      expect(run.status).toBe(1);
      const [one, failed] = run.stdout
        .toString()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(one.file).toBe(fileNameFor(new URL(`${server.url}/one`)));
      expect(fs.readFileSync(path.join(dir, one.file), 'utf8')).toBe('body of /one\n');
      // A non-2xx body is not written: an error page would pass for the resource.
      expect(failed.status).toBe(500);
      expect(failed.file).toBeUndefined();
      expect(fs.readdirSync(dir)).toEqual([one.file]);
    },
    SPEC_MS,
  );

  it(
    'stops fetching and exits 1 when the reader of stdout goes away (| head)',
    async () => {
      const slow = await ScriptServer.respondEach(async (req) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return response(200, `${req.path}\n`);
      });
      try {
        const urls = Array.from({ length: 400 }, (_, i) => `${slow.url}/h${i}`); // 2 s or more, one at a time
        const started = Date.now();
        const run = await runBin(['-c', '1', '-p', '1', ...urls], { hangUp: true });
        expect(run.status).toBe(1);
        expect(run.stderr).toBe('');
        expect(slow.requests.length).toBeLessThan(100);
        expect(Date.now() - started).toBeLessThan(1500);
      } finally {
        await slow.close();
      }
    },
    SPEC_MS,
  );
});

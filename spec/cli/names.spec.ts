import { MAX_NAME, NameAllocator, fileNameFor } from '../../lib/cli/names';

// The -o DIR file-name rule (lib/cli/names.ts, docs/cli.md), unit by unit.

const name = (url: string) => fileNameFor(new URL(url));

describe('fileNameFor (the -o file-name rule)', () => {
  it('joins host, port, path and query with every other character made _', () => {
    expect(name('http://127.0.0.1:8080/items/1?x=2&y=a%20b')).toBe('127.0.0.1_8080_items_1_x_2_y_a_20b');
    expect(name('https://Store.Example/objects/report.v2.json')).toBe('store.example_objects_report.v2.json');
    expect(name('http://[::1]:9000/x')).toBe('___1__9000_x');
  });

  it('leaves out the port when the URL has the default one, and a trailing slash', () => {
    expect(name('http://example.com:80/dir/')).toBe('example.com_dir');
    expect(name('https://example.com/')).toBe('example.com');
  });

  it('leaves out the fragment, which is not sent', () => {
    expect(name('http://h/page#section')).toBe('h_page');
  });

  it('never makes a name with .., a slash, a backslash or NUL, nor one starting with . or -', () => {
    const hostile = [
      'http://h/../../etc/passwd',
      'http://h/..%2F..%2Fetc%2Fpasswd',
      'http://h/%2e%2e%2f%2e%2e%2f',
      'http://h/..\\..\\windows',
      'http://h/a/...../b',
      'http://h/%00/x',
      'http://h/?../../x',
      'http://-h/x',
      'http://h/x/..',
    ];
    for (const url of hostile) {
      const n = name(url);
      expect(n)
        .withContext(url)
        .not.toMatch(/\.\.|[/\\\0]|^[.-]/);
      expect(n.length).withContext(url).toBeGreaterThan(0);
    }
    expect(name('http://h/..%2F..%2Fetc%2Fpasswd')).toBe('h___2F__2Fetc_2Fpasswd');
  });

  it('cuts a long name and adds 10 hex digits of the URL hash, so long URLs that share a start stay apart', () => {
    const long = 'http://h/' + 'a'.repeat(300);
    const a = name(`${long}?1`);
    const b = name(`${long}?2`);
    expect(a.length).toBe(MAX_NAME + 11);
    expect(a).toMatch(/^h_a+-[0-9a-f]{10}$/);
    expect(a).not.toBe(b);
    expect(a).toBe(name(`${long}?1`)); // the same URL, the same name: the rule is a function of the URL
    expect(name('http://h/' + 'a'.repeat(MAX_NAME - 2))).toBe('h_' + 'a'.repeat(MAX_NAME - 2)); // exactly MAX_NAME: no hash
  });
});

describe('NameAllocator (unique names in one run)', () => {
  it('gives the first URL the plain name and a later one that maps to it the name and its hash', () => {
    const names = new NameAllocator();
    expect(names.allocate(new URL('http://h/a/b'))).toBe('h_a_b');
    const second = names.allocate(new URL('http://h/a_b'));
    expect(second).toMatch(/^h_a_b-[0-9a-f]{10}$/);
    expect(names.allocate(new URL('http://h/a?b'))).toMatch(/^h_a_b-[0-9a-f]{10}$/);
    expect(names.allocate(new URL('http://h/a?b'))).not.toBe(second);
  });

  it('compares names without case (macOS and Windows file systems)', () => {
    const names = new NameAllocator();
    expect(names.allocate(new URL('http://h/Readme'))).toBe('h_Readme');
    expect(names.allocate(new URL('http://h/README'))).toMatch(/^h_README-[0-9a-f]{10}$/);
  });

  it('counts on when the same URL comes again and again', () => {
    const names = new NameAllocator();
    const got = [1, 2, 3, 4].map(() => names.allocate(new URL('http://h/same')));
    expect(got[0]).toBe('h_same');
    expect(got[2]).toBe(`${got[1]}-2`);
    expect(got[3]).toBe(`${got[1]}-3`);
    expect(new Set(got.map((n) => n.toLowerCase())).size).toBe(4);
  });
});

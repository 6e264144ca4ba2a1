import { DEFAULT_CONNECTIONS, DEFAULT_DEPTH, UsageError, parseCommandLine } from '../../lib/cli/args';

// The command line, parsed: defaults and the checks that make a usage error (exit 2).

describe('parseCommandLine', () => {
  it('has the defaults of httpio itself and GET', () => {
    const config = parseCommandLine(['http://h/']);
    expect(config).toEqual(
      jasmine.objectContaining({ method: 'GET', depth: DEFAULT_DEPTH, connections: DEFAULT_CONNECTIONS, silent: false, json: false }),
    );
    expect(config.data).toBeUndefined();
    expect(config.outputDir).toBeUndefined();
  });

  it('takes short and long forms, repeated -H and -i in order', () => {
    const config = parseCommandLine([
      '-H',
      'A: 1',
      '--header',
      'a:2 ',
      '-i',
      'x',
      '--input',
      '-',
      '-sp',
      '3',
      '--connections',
      '2',
      '--json',
      'http://h/',
    ]);
    expect(config.headers).toEqual([
      ['A', '1'],
      ['a', '2'],
    ]);
    expect(config.inputs).toEqual(['x', '-']);
    expect(config.silent).toBeTrue();
    expect(config.depth).toBe(3);
    expect(config.connections).toBe(2);
    expect(config.json).toBeTrue();
  });

  it('reads -d @file as a file and anything else as text, POST unless -X says otherwise', () => {
    expect(parseCommandLine(['-d', '@body.json', 'http://h/'])).toEqual(
      jasmine.objectContaining({ data: { file: 'body.json' }, method: 'POST' }),
    );
    expect(parseCommandLine(['-d', 'a=1', '-X', 'PATCH', 'http://h/'])).toEqual(
      jasmine.objectContaining({ data: { text: 'a=1' }, method: 'PATCH' }),
    );
  });

  it('lets --help and --version through without a URL', () => {
    expect(parseCommandLine(['--help']).info).toBe('help');
    expect(parseCommandLine(['-V']).info).toBe('version');
  });

  const bad: Array<[string[], RegExp]> = [
    [['-d', 'a', '-d', 'b', 'http://h/'], /-d given more than once/],
    [['-i', '-', '-i', '-'], /-i - given more than once/],
    [['-p', '08x', 'http://h/'], /-p "08x"/],
    [['-p', '1e3', 'http://h/'], /-p "1e3"/],
    [['-c', '-1', 'http://h/'], /-c/],
    [['-p', '99999999999999999999', 'http://h/'], /-p "9+"/],
    [['-H', ': v', 'http://h/'], /-H/],
    [['-H', 'Bad Name: v', 'http://h/'], /-H/],
    [['-o', '', 'http://h/'], /-o needs a directory/],
    [['-d', '@', 'http://h/'], /-d @ needs a file name/],
    [['-o'], /argument missing/],
  ];
  for (const [args, message] of bad) {
    it(`refuses ${args.join(' ')}`, () => {
      expect(() => parseCommandLine(args)).toThrowMatching((e) => e instanceof UsageError && message.test(e.message));
    });
  }
});

import { Progress, REDRAW_MS, formatBytes, formatProgress } from '../../lib/cli/progress';

// The progress line: its format, and how often and how it is drawn.

describe('formatProgress', () => {
  it('shows done/total, the percentage, req/s and bytes, then a bar filling the width', () => {
    const line = formatProgress({ done: 300, total: 1200, bytes: 1536, elapsedMs: 2000 }, 60);
    expect(line).toBe('300/1200   25%  150 req/s  1.5 KiB  [#####                ]');
    expect(line.length).toBe(59);
  });

  it('keeps within width - 1 columns and drops the bar before the counters on a narrow terminal', () => {
    const state = { done: 12345, total: 99999, bytes: 5 * 1024 ** 3, elapsedMs: 1000 };
    expect(formatProgress(state, 80).length).toBeLessThanOrEqual(79);
    expect(formatProgress(state, 50)).toBe('12345/99999   12%  12345 req/s  5.0 GiB');
    expect(formatProgress(state, 20)).toBe('12345/99999   12%  ');
  });

  it('shows 0 req/s at the start, a full bar at the end, and 100% for an empty run', () => {
    expect(formatProgress({ done: 0, total: 5, bytes: 0, elapsedMs: 0 }, 40)).toBe('0/5    0%  0 req/s  0 B  [            ]');
    expect(formatProgress({ done: 5, total: 5, bytes: 0, elapsedMs: 1000 }, 40)).toBe('5/5  100%  5 req/s  0 B  [############]');
    expect(formatProgress({ done: 0, total: 0, bytes: 0, elapsedMs: 10 }, 40)).toMatch(/^0\/0 {2}100% /);
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal from KiB on', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20.0 MiB');
    expect(formatBytes(3.25 * 1024 ** 4)).toBe('3.3 TiB');
  });
});

describe('Progress', () => {
  let now: number;
  let written: string[];
  const terminal = { write: (text: string) => written.push(text), columns: 60 };

  beforeEach(() => {
    jasmine.clock().install();
    now = 1000;
    written = [];
  });
  afterEach(() => jasmine.clock().uninstall());

  const advance = (ms: number) => {
    now += ms;
    jasmine.clock().tick(ms);
  };

  it(`draws with \\r at most once per ${REDRAW_MS} ms, and the latest counts once that time has passed`, () => {
    const progress = new Progress(terminal, 10, () => now);
    progress.update(1, 10);
    expect(written.length).toBe(1);
    expect(written[0]).toMatch(/^\r1\/10 /);
    for (let i = 2; i <= 6; i++) {
      advance(10);
      progress.update(i, i * 10);
    }
    expect(written.length).toBe(1); // 50 ms: no redraw yet
    advance(REDRAW_MS);
    expect(written.length).toBe(2);
    expect(written[1]).toMatch(/^\r6\/10 /);
    advance(REDRAW_MS * 5);
    expect(written.length).toBe(2); // nothing new: nothing drawn
    progress.finish();
  });

  it('puts a logged line above the progress line and draws it again', () => {
    const progress = new Progress(terminal, 10, () => now);
    progress.update(3, 0);
    const shown = written[0]!.length - 1;
    progress.log('httpio: http://h/x: HTTP 404 Not Found');
    expect(written.slice(1)).toEqual([
      `\r${' '.repeat(shown)}\r`,
      'httpio: http://h/x: HTTP 404 Not Found\n',
      jasmine.stringMatching(/^\r3\/10 /),
    ]);
    progress.finish();
  });

  it('wipes the line at the end, once, and draws nothing after', () => {
    const progress = new Progress(terminal, 10, () => now);
    progress.update(1, 0);
    advance(10);
    progress.update(2, 0); // a redraw is pending
    progress.finish();
    progress.finish();
    const shown = written[0]!.length - 1;
    expect(written.slice(1)).toEqual([`\r${' '.repeat(shown)}\r`]);
    advance(REDRAW_MS * 3);
    progress.update(3, 0);
    progress.log('late');
    expect(written.slice(2)).toEqual(['late\n']);
  });

  it('pads a shorter line so that nothing of the longer one before it is left', () => {
    // 40 columns: too narrow for a bar, so the line is as long as its counters.
    const progress = new Progress({ write: (text: string) => written.push(text), columns: 40 }, 2000, () => now);
    advance(100);
    progress.update(1000, 0); // 10000 req/s
    advance(9900);
    progress.update(1000, 0); // 100 req/s: two characters shorter
    expect(written[0]).toBe('\r1000/2000   50%  10000 req/s  0 B');
    expect(written[1]).toBe('\r1000/2000   50%  100 req/s  0 B  ');
    progress.finish();
    expect(written[2]).toBe(`\r${' '.repeat(31)}\r`);
  });
});

// Server-controlled text reaches the terminal with its control characters shown,
// not obeyed (OSC 52 would write the clipboard); --json output stays exact.
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { decodeClixmlString, parseClixml } from '../../src/clixml/index.js';
import { printInvocation } from '../../src/cli/print.js';
import { formatProgress } from '../../src/cli/progress.js';
import { visibleText } from '../../src/cli/terminal-text.js';

// What a hostile server sends: CLIXML's _x001B_ escape decodes to a real ESC.
const OSC52 = decodeClixmlString('_x001B_]52;c;ZXZpbA==_x0007_')!;

describe('visibleText', () => {
  test('C0 and C1 controls become \\xNN, tab and newline stay, CR LF becomes LF', () => {
    expect(OSC52).toBe('\x1b]52;c;ZXZpbA==\x07');
    expect(visibleText(OSC52)).toBe('\\x1B]52;c;ZXZpbA==\\x07');
    expect(visibleText('a\tb\nc\r\nd\re\x00f\x7fg\x9bh\x85')).toBe('a\tb\nc\nd\\x0De\\x00f\\x7Fg\\x9Bh\\x85');
    expect(visibleText('plain ünïcödé – text')).toBe('plain ünïcödé – text');
  });
  test('a progress line escapes the activity and status', () => {
    const line = formatProgress({ Activity: `copy${OSC52}`, StatusDescription: '\x1b[2Jdone', PercentComplete: -1 });
    expect(line).toBe('copy\\x1B]52;c;ZXZpbA==\\x07: \\x1B[2Jdone');
  });
});

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return { stream, text: () => out };
}

function fakeInvocation(outputs: unknown[], warnings: unknown[]) {
  const it = (xs: unknown[]) => ({
    async *[Symbol.asyncIterator]() {
      for (const x of xs) yield x;
    },
  });
  return {
    ...it(outputs),
    streams: { warning: it(warnings), verbose: it([]), debug: it([]), information: it([]), error: it([]), progress: it([]) },
    result: async () => ({ hadErrors: false }),
  };
}

describe('printInvocation', () => {
  const NS = 'http://schemas.microsoft.com/powershell/2004/04';
  const value = parseClixml(`<S xmlns="${NS}">hi_x001B_]52;c;ZXZpbA==_x0007_</S>`);

  test('human output and streams are escaped', async () => {
    const out = collect();
    const err = collect();
    await printInvocation(fakeInvocation([value], [`careful${OSC52}`]) as never, { stdout: out.stream, stderr: err.stream } as never, false);
    expect(out.text()).toBe('hi\\x1B]52;c;ZXZpbA==\\x07\n');
    expect(err.text()).toBe('WARNING: careful\\x1B]52;c;ZXZpbA==\\x07\n');
    expect(out.text()).not.toContain('\x1b');
  });

  test('--json output is exact (JSON escapes the controls itself)', async () => {
    const out = collect();
    const err = collect();
    await printInvocation(fakeInvocation([value], []) as never, { stdout: out.stream, stderr: err.stream } as never, true);
    expect(JSON.parse(out.text())).toBe('hi\x1b]52;c;ZXZpbA==\x07');
    expect(out.text()).toBe('"hi\\u001b]52;c;ZXZpbA==\\u0007"\n');
  });
});

// The progress line of `psremote invoke` on a terminal. Records here are made
// with the CLIXML bridge in the shape Windows sends (see the real ones in
// test/session/securestring-replay.test.ts).
import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { formatProgress, progressLine } from '../../src/cli/progress.js';
import { makeObject } from '../../src/psrp/clixml-bridge.js';

const record = (activity: string, status: string, percent: number, type = 0, seconds = -1) =>
  makeObject([
    ['Activity', activity],
    ['StatusDescription', status],
    ['PercentComplete', percent],
    ['SecondsRemaining', seconds],
    ['Type', type],
  ]);

test('a percentage draws a bar; seconds left are shown; Completed draws nothing', () => {
  expect(formatProgress(record('Copying', 'file 3 of 10', 30))).toBe('Copying: file 3 of 10 [######..............] 30%');
  expect(formatProgress(record('Copying', '', 100, 0, 12))).toBe('Copying [####################] 100% 12s left');
  expect(formatProgress(record('Copying', 'x', 50, 1))).toBeUndefined();
  expect(formatProgress(record('A very long activity name indeed', 'and a long status too', 50), 40)).toBe('A very long a [##########..........] 50%');
});

test('on a terminal the line is redrawn in place and cleared at the end; elsewhere nothing is written', () => {
  const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 60 });
  let out = '';
  tty.on('data', (d: Buffer) => (out += d.toString()));
  const line = progressLine(tty);
  line.update(record('Step', 'one', 10));
  line.update(record('Step', 'two', 20));
  line.update(record('Step', 'done', 100, 1));
  line.update(record('Next', '', -1));
  line.end();
  expect(out).toBe(
    '\r\x1b[2KStep: one [##..................] 10%' + '\r\x1b[2KStep: two [####................] 20%' + '\r\x1b[2K' + '\r\x1b[2KNext' + '\r\x1b[2K',
  );
  const pipe = new PassThrough();
  let piped = '';
  pipe.on('data', (d: Buffer) => (piped += d.toString()));
  const quiet = progressLine(pipe);
  quiet.update(record('Step', 'one', 10));
  quiet.end();
  expect(piped).toBe('');
});

// `psremote serve` (the built CLI, a child process) tells its operator on
// stderr when it drops connections over --max-connections: one line for a
// burst, naming the count and the limit. The window is the real second here
// (a process has no injected clock); nothing is asserted about time: the test
// waits for the line, and test/server/endpoint-limits.test.ts shows the window
// on a ManualClock.
import { connect, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { startServe, type Serve } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

let serve: Serve | undefined;
const open: Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
  serve?.stop();
  serve = undefined;
});

function raw(url: string): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => resolve(s));
    s.on('error', reject);
    open.push(s);
  });
}
const closed = (s: Socket) => new Promise<void>((resolve) => (s.on('error', () => undefined), s.on('close', () => resolve())));

test('serve --max-connections 1: a burst of 4 dropped connections is a notice on stderr naming the count and the limit, not one per drop', async () => {
  serve = await startServe(['--max-connections', '1']);
  await raw(serve.url);
  const burst = await Promise.all([1, 2, 3, 4].map(() => raw(serve!.url)));
  await Promise.all(burst.map(closed));
  await until(() => serve!.stderr().includes('(4 in all)'), 'the notice on stderr');
  const notices = serve.stderr().split('\n').filter((l) => l.startsWith('notice:'));
  // One line (the burst fits in one window; a machine slow enough to spread four
  // connects over a second would give two lines, never one per drop).
  expect(notices.length).toBeLessThan(4);
  expect(notices.at(-1)).toMatch(/^notice: \d connections? dropped on arrival since the last such line \(4 in all\): /);
  for (const l of notices) expect(l).toContain('the endpoint holds at most 1 connection at once (maxConnections); raise it with serve --max-connections N');
});

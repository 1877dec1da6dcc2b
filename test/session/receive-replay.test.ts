// No output lost when a Receive answer is lost in flight (MS-WSMV robust
// connections, 3.1.4.1.39 / 3.1.4.14): the client numbers its Receives
// (SequenceId) and sends the same number again after a network failure; the
// endpoint keeps its last answer per command and sends it again for a repeated
// number. The endpoint drops the connection after it processed every Receive of
// the command once (`dropAfter`, every other match), so each answer is lost
// once and only the replay can bring it.
import { afterEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { openShell } from '../../src/winrm/winrs.js';
import type { RunspacePool } from '../../src/session/runspace-pool.js';
import { ManualClock } from '../../src/util/clock.js';
import { until } from '../helpers/until.js';

let ep: LocalEndpoint | undefined;
let pool: RunspacePool | undefined;
afterEach(async () => {
  await pool?.close().catch(() => undefined);
  await ep?.close();
  pool = ep = undefined;
});

const N = 10_000;
const yieldNow = () => new Promise((r) => setImmediate(r));

/** Requests of one operation that named a command, with their status (0: dropped before an answer). */
const commandRequests = (e: LocalEndpoint, op: string) => e.log.filter((x) => x.operation === op && x.commandId);

test('a pipeline with 10,000 outputs: every Receive answer lost once, every output arrives exactly once, in order', async () => {
  ep = await startEndpoint({
    // Small answers, so the pipeline takes many Receives.
    maxReceiveBytes: 8 * 1024,
    handler: async (ctx) => {
      for (let i = 0; i < N; i++) {
        ctx.output(i);
        if (i % 250 === 249) await yieldNow();
      }
    },
  });
  pool = await openSession(ep.url, { retryDelayMs: 1 });
  ep.faults.add({ operation: 'Receive', anyCommand: true, times: Infinity, every: 2, action: { type: 'dropAfter' } });
  const out = (await pool.invoke('count').result()).output;
  expect(out).toHaveLength(N);
  expect(out).toEqual(Array.from({ length: N }, (_v, i) => i));
  const receives = commandRequests(ep, 'Receive');
  const lost = ep.faults.fired.filter((f) => f.action === 'dropAfter').length;
  // Many answers were lost, and each one was asked for exactly once more.
  expect(lost).toBeGreaterThan(20);
  expect(receives.length).toBe(2 * lost);
}, 60_000);

test('a WinRS command\'s stdout: every Receive answer lost once, every byte arrives exactly once, in order', async () => {
  const lines = Array.from({ length: N }, (_v, i) => `line ${i}\n`);
  ep = await startEndpoint({
    maxReceiveBytes: 4 * 1024,
    cmdCommands: {
      lines: async (ctx) => {
        for (let i = 0; i < N; i++) {
          ctx.stdout(lines[i]!);
          if (i % 200 === 199) await yieldNow();
        }
        return 0;
      },
    },
  });
  ep.faults.add({ operation: 'Receive', anyCommand: true, times: Infinity, every: 2, action: { type: 'dropAfter' } });
  const shell = await openShell(ep.url, { retryDelayMs: 1 });
  const events: string[] = [];
  try {
    const cmd = await shell.run('lines', [], { onNetworkInterrupted: (e) => events.push(`interrupted:${(e as { code?: string }).code}`), onNetworkResumed: () => events.push('resumed') });
    const [stdout, stderr, exitCode] = await Promise.all([cmd.stdout.collect(), cmd.stderr.collect(), cmd.exitCode]);
    expect(exitCode).toBe(0);
    expect(stderr.length).toBe(0);
    expect(stdout.toString('utf8')).toBe(lines.join(''));
  } finally {
    await shell.close();
  }
  const lost = ep.faults.fired.filter((f) => f.action === 'dropAfter').length;
  expect(lost).toBeGreaterThan(10);
  // Each loss is told (the retry is quiet on the wire, not to the caller), and so is each recovery.
  expect(events).toEqual(Array.from({ length: lost }, () => ['interrupted:PSR_TRANSPORT', 'resumed']).flat());
  expect(commandRequests(ep, 'Receive').length).toBe(2 * lost);
}, 60_000);

test("a WinRS command's retry runs on the injected clock: pauses double from retryDelayMs, and the window ends in the clock's time", async () => {
  ep = await startEndpoint({ cmdCommands: { hello: (ctx) => (ctx.stdout('hello\n'), 0) } });
  ep.faults.add({ operation: 'Receive', anyCommand: true, times: Infinity, action: { type: 'dropAfter' } });
  const clock = new ManualClock();
  const shell = await openShell(ep.url, { clock, networkRetryMs: 10_000, retryDelayMs: 1_000 });
  const events: string[] = [];
  try {
    const cmd = await shell.run('hello', [], { onNetworkInterrupted: () => events.push('interrupted'), onNetworkResumed: () => events.push('resumed') });
    let outcome: string | undefined;
    void cmd.exitCode.then(
      () => (outcome = 'resolved'),
      (e: unknown) => (outcome = (e as { code?: string }).code),
    );
    const receives = () => commandRequests(ep!, 'Receive').length;
    const pauses: number[] = [];
    await until(() => clock.pending === 1, 'the first pause');
    // Each failure inside the window pauses on the clock (no Receive goes out until the clock moves); the one past it fails the command.
    while (outcome === undefined) {
      const due = clock.nextDue()! - clock.now();
      pauses.push(due);
      const before = receives();
      await clock.advance(due - 1);
      expect(receives()).toBe(before);
      await clock.advance(1);
      await until(() => outcome !== undefined || (receives() > before && clock.pending === 1), `the Receive after ${due} ms`);
    }
    expect(pauses).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(outcome).toBe('PSR_TRANSPORT');
    expect(events).toEqual(['interrupted']);
    expect(receives()).toBe(5);
  } finally {
    await shell.close();
  }
});

test('without the retry window, a lost Receive answer fails the WinRS command with a typed error (nothing quietly wrong)', async () => {
  ep = await startEndpoint({ cmdCommands: { hello: (ctx) => (ctx.stdout('hello\n'), 0) } });
  ep.faults.add({ operation: 'Receive', anyCommand: true, action: { type: 'dropAfter' } });
  const shell = await openShell(ep.url, { networkRetryMs: 0 });
  try {
    const cmd = await shell.run('hello');
    await expect(cmd.exitCode).rejects.toMatchObject({ code: 'PSR_TRANSPORT', operation: 'Receive' });
  } finally {
    await shell.close();
  }
});

test('the Receive carries its SequenceId: 0 first, the same number again after a loss, then the next', async () => {
  const bodies: string[] = [];
  ep = await startEndpoint({ recordPath: undefined, cmdCommands: { hello: (ctx) => (ctx.stdout('hello\n'), 0) } });
  ep.faults.add({ operation: 'Receive', anyCommand: true, action: { type: 'dropAfter' } });
  const shell = await openShell(ep.url, { retryDelayMs: 1 });
  const original = shell.client.transport.post.bind(shell.client.transport);
  shell.client.transport.post = (req) => {
    if (req.operation === 'Receive') bodies.push(String(req.body));
    return original(req);
  };
  try {
    const cmd = await shell.run('hello');
    expect((await cmd.stdout.collect()).toString()).toBe('hello\n');
    expect(await cmd.exitCode).toBe(0);
  } finally {
    await shell.close();
  }
  const seqs = bodies.map((b) => /<rsp:Receive SequenceId="(\d+)">/.exec(b)?.[1]);
  expect(seqs.slice(0, 2)).toEqual(['0', '0']);
  expect(seqs.every((s, i) => i < 2 || Number(s) === i - 1)).toBe(true);
});

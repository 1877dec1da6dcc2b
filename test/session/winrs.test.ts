import { afterEach, describe, expect, test } from 'vitest';
import { startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import type { Exchange } from '../../src/server/recording.js';
import { openShell, runCommand } from '../../src/winrm/winrs.js';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { HttpTransport } from '../../src/transport/http/transport.js';
import { recording } from '../helpers/recordings.js';
import { startFakeWinRS, type FakeWinRS } from './fake-winrs.js';
import { ManualClock } from '../../src/util/clock.js';
import { until } from '../helpers/until.js';

let replay: ReplayServer | undefined;
let fake: FakeWinRS | undefined;
afterEach(async () => {
  await replay?.close();
  await fake?.close();
  replay = fake = undefined;
});

const client = (url: string, o: ConstructorParameters<typeof WSManClient>[1] = {}) =>
  new WSManClient(new HttpTransport({ endpoint: url }), { operationTimeoutMs: 5000, ...o });

test('the receive loop renews the long-poll after recorded OperationTimeout faults, then gets the output', async () => {
  // ClientRunCommand's conversation with two recorded w:TimedOut answers
  // (HTTP 500, from ProtocolRunCommandExceedingOperationTimeout) before its Receive.
  const base = recording('ClientRunCommand.yml');
  const timedOut = recording('ProtocolRunCommandExceedingOperationTimeout.yml').exchanges.find((x) => x.operation === 'Receive')!;
  expect(timedOut.response.status).toBe(500);
  const i = base.exchanges.findIndex((x) => x.operation === 'Receive');
  const rx = base.exchanges[i]!;
  const t: Exchange = { ...timedOut, shellId: rx.shellId, commandId: rx.commandId };
  replay = await startReplayServer({ match: 'lenient', recording: { ...base, exchanges: [...base.exchanges.slice(0, i), t, t, ...base.exchanges.slice(i)] } });
  const stdout = Buffer.concat([...rx.response.body.matchAll(/Name="stdout"[^>]*>([^<]+)</g)].map((m) => Buffer.from(m[1]!, 'base64'))).toString('utf8');
  expect(stdout.length).toBeGreaterThan(100);
  const r = await runCommand(client(replay.url), 'ipconfig', ['/all']);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toBe(stdout);
  expect(replay.stats.Receive).toBe(3);
  expect(replay.unmatched).toEqual([]);
});

describe('against a scripted cmd endpoint (hand-written responses)', () => {
  test('stdin from an async iterable goes out while the Receive long-poll is outstanding', async () => {
    fake = await startFakeWinRS();
    const c = client(fake.url);
    await using shell = await openShell(c);
    async function* input() {
      yield 'hello ';
      // The rest comes after the first Send was answered: its end is not known with it.
      await until(() => fake!.log.filter((l) => l === 'Send').length === 1, 'the first Send');
      yield Buffer.from('world');
    }
    const cmd = await shell.run('findstr', ['x'], { stdin: input() });
    expect(await cmd.wait()).toBe(0);
    expect((await cmd.stdout.collect()).toString()).toBe('HELLO WORLD');
    expect(fake.commands[0]!.stdin.toString()).toBe('hello world');
    // Receive was outstanding on one socket while the Sends went on another.
    expect((c.transport as HttpTransport).connections.length).toBe(2);
    // Two Sends: 'hello ', then 'world' with End on it (the generator's end is known right behind it).
    expect(fake.log.filter((l) => l === 'Send').length).toBe(2);
    // Signal terminate goes out after the exit code is known, off the critical path.
    await cmd.signalled;
    expect(fake.commands[0]!.signals).toEqual(['terminate']);
  });

  test('run with an aborted signal is a PSR_ABORTED PsRemoteError, and no Command is sent', async () => {
    fake = await startFakeWinRS();
    await using shell = await openShell(client(fake.url));
    const ac = new AbortController();
    ac.abort(new Error('the caller gave up'));
    await expect(shell.run('dir', [], { signal: ac.signal })).rejects.toMatchObject({ code: 'PSR_ABORTED', name: 'AbortError' });
    expect(fake.log.filter((l) => l === 'Command')).toEqual([]);
  });

  test('sendInput with end, many commands on one shell', async () => {
    fake = await startFakeWinRS();
    const shell = await openShell(client(fake.url));
    const a = await shell.run('a');
    const b = await shell.run('b');
    await b.sendInput('second', { end: true });
    await a.sendInput('fir');
    await a.sendInput('st', { end: true });
    await expect(a.sendInput('more')).rejects.toMatchObject({ code: 'PSR_INVALID_STATE' });
    expect([await a.wait(), await b.wait()]).toEqual([0, 0]);
    expect((await a.stdout.collect()).toString()).toBe('FIRST');
    expect((await b.stdout.collect()).toString()).toBe('SECOND');
    await shell.close();
    await shell.close();
    expect(fake.log.filter((l) => l === 'Delete').length).toBe(1);
    await expect(shell.run('c')).rejects.toMatchObject({ code: 'PSR_INVALID_STATE' });
  });

  test('ctrlC during a long-poll ends the command with the Ctrl+C exit status', async () => {
    fake = await startFakeWinRS({ onStdinEnd: () => {} });
    await using shell = await openShell(client(fake.url));
    const cmd = await shell.run('ping', ['-t', 'x']);
    await until(() => fake!.held === 1, 'the Receive long-poll held');
    await cmd.ctrlC();
    expect(await cmd.wait()).toBe(-1073741510);
    await cmd.signalled;
    expect(fake.commands[0]!.signals).toEqual(['ctrl_c', 'terminate']);
  });

  test('OperationTimeout faults from the scripted server are renewed silently', async () => {
    // The server's hold runs on a ManualClock: each fault comes when the test moves it on.
    const clock = new ManualClock();
    fake = await startFakeWinRS({ clock, receiveWaitMs: 30_000, onStdinEnd: (c) => ((c.exitCode = 7), c.out.push(Buffer.from('late'))) });
    await using shell = await openShell(client(fake.url));
    const cmd = await shell.run('x');
    for (let i = 1; i <= 3; i++) {
      await until(() => fake!.held === i, `Receive ${i} held`);
      await clock.advance(30_000); // this Receive is answered with w:TimedOut
    }
    // The fourth Receive, sent after three faults, is held until stdin ends.
    await until(() => fake!.held === 4, 'Receive 4 held');
    await cmd.sendInput('', { end: true });
    expect(await cmd.wait()).toBe(7);
    expect((await cmd.stdout.collect()).toString()).toBe('late');
    expect(fake.log.filter((l) => l === 'Receive').length).toBe(4);
  });

  test('terminate() stops the command: exitCode rejects with AbortError and the server got Signal terminate', async () => {
    fake = await startFakeWinRS({ onStdinEnd: () => {} });
    await using shell = await openShell(client(fake.url));
    const cmd = await shell.run('long');
    await until(() => fake!.held === 1, 'the Receive long-poll held');
    await cmd.terminate();
    await expect(cmd.wait()).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    await expect(cmd.stdout.collect()).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    expect(fake.commands[0]!.signals).toEqual(['terminate']);
  });

  test('an AbortSignal on run terminates the command', async () => {
    fake = await startFakeWinRS({ onStdinEnd: () => {} });
    await using shell = await openShell(client(fake.url));
    const ac = new AbortController();
    const cmd = await shell.run('long', [], { signal: ac.signal });
    await until(() => fake!.held === 1, 'the Receive long-poll held');
    ac.abort();
    await expect(cmd.wait()).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    // The Signal goes out behind the rejection.
    await until(() => fake!.commands[0]!.signals.length > 0, 'a Signal');
    expect(fake.commands[0]!.signals).toEqual(['terminate']);
  });

  test('large output streams in order across many responses with a slow reader', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    fake = await startFakeWinRS({ chunkBytes: 64 * 1024, onStart: (c) => ((c.out = [big]), (c.exitCode = 0)) });
    await using shell = await openShell(client(fake.url));
    const cmd = await shell.run('type', ['big.bin']);
    const parts: Buffer[] = [];
    for await (const p of cmd.stdout) {
      parts.push(p);
      if (parts.length % 8 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(Buffer.concat(parts).equals(big)).toBe(true);
    expect(await cmd.wait()).toBe(0);
    expect(fake.log.filter((l) => l === 'Receive').length).toBe(48);
  });

  test('stdin larger than one envelope is split into several Sends under MaxEnvelopeSize', async () => {
    fake = await startFakeWinRS();
    const c = client(fake.url, { maxEnvelopeSize: 16_384 });
    await using shell = await openShell(c);
    const data = 'abcdefghij'.repeat(5000);
    const cmd = await shell.run('more', [], { stdin: data });
    expect(await cmd.wait()).toBe(0);
    expect(fake.commands[0]!.stdin.toString()).toBe(data);
    const sends = fake.server.requests.filter((r) => r.body.includes('/Send<'));
    expect(sends.length).toBeGreaterThan(3);
    for (const s of sends) expect(Buffer.byteLength(s.body)).toBeLessThanOrEqual(16_384);
  });
});

// The public cmd-shell API against real recordings served by the replay server.
// Expected output is computed from the recorded response bodies with plain
// regexes and base64 (independently of src/wsman's parser).

import { afterEach, describe, expect, test } from 'vitest';
import { startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import type { Recording } from '../../src/server/recording.js';
import { openShell, runCommand } from '../../src/winrm/winrs.js';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { HttpTransport } from '../../src/transport/http/transport.js';
import { WSManFaultError } from '../../src/wsman/index.js';
import { recording } from '../helpers/recordings.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Expected {
  command: string;
  args: string[];
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | undefined;
}

function expectedFrom(rec: Recording): Expected {
  const cmdReq = rec.exchanges.find((x) => x.operation === 'Command')!.request;
  const command = /<(?:\w+:)?Command>([^<]*)<\/(?:\w+:)?Command>/.exec(cmdReq)?.[1] ?? '';
  const args = [...cmdReq.matchAll(/<(?:\w+:)?Arguments>([^<]*)<\/(?:\w+:)?Arguments>/g)].map((m) => m[1]!);
  const out: Record<string, Buffer[]> = { stdout: [], stderr: [] };
  let exitCode: number | undefined;
  for (const x of rec.exchanges.filter((e) => e.operation === 'Receive')) {
    for (const m of x.response.body.matchAll(/<(?:\w+:)?Stream\b([^>]*?)(?:\/>|>([^<]*)<\/(?:\w+:)?Stream>)/g)) {
      const name = /Name="(\w+)"/.exec(m[1]!)?.[1]!;
      out[name]?.push(Buffer.from(m[2] ?? '', 'base64'));
    }
    const ec = /<(?:\w+:)?ExitCode>(-?\d+)</.exec(x.response.body);
    if (ec) exitCode = Number(ec[1]);
  }
  return { command, args, stdout: Buffer.concat(out.stdout!), stderr: Buffer.concat(out.stderr!), exitCode };
}

const client = (url: string) => new WSManClient(new HttpTransport({ endpoint: url }), { operationTimeoutMs: 5000 });

describe('runCommand against real WinRS recordings', () => {
  const files = [
    'ClientRunCommand.yml',
    'ClientRunCommandWithArgs.yml',
    'ClientRunCommandWithEnvironment.yml',
    'ClientFetchFileFailDir.yml',
    'ProtocolRunCommandWithNoProfile.yml',
    'test_winrs_standard.yml',
    'test_winrs_environment.yml',
    'test_winrs_noprofile.yml',
    'test_winrs_extra_opts.yml',
    'test_winrs_unicode.yml',
    'test_client_execute_cmd_environment.yml',
    'ProtocolRunCommandWithEnv.yml',
    'ProtocolGetCommandState.yml',
    'ProtocolRunCommandWithCommandTimeout.yml',
    // winrm4j names the command with a namespace-qualified ns1:CommandId
    'win12.xml',
  ];
  test.each(files)('%s: stdout, stderr and exit code as recorded', async (file) => {
    const rec = recording(file);
    const want = expectedFrom(rec);
    expect(want.exitCode).toBeTypeOf('number');
    server = await startReplayServer({ recording: rec, maxDelayMs: 10 });
    const c = client(server.url);
    const r = await runCommand(c, want.command, want.args);
    await c.close();
    expect(r.exitCode).toBe(want.exitCode);
    expect(r.stdoutBytes.equals(want.stdout)).toBe(true);
    expect(r.stderrBytes.equals(want.stderr)).toBe(true);
    expect(server.unmatched).toEqual([]);
    // The recorded client sent Signal terminate before Delete; Delete releases the
    // command with the shell, so runCommand sends Create, Command, Receive, Delete,
    // and (closeStdin, its default) an empty End of stdin the recorded client did not
    // send: answered by the replay server without a recorded exchange, and counted.
    expect(server.remaining().map((x) => x.operation)).toEqual(['Signal']);
    expect(server.served.map((s) => s.operation)).toEqual(rec.exchanges.map((x) => x.operation).filter((o) => o !== 'Signal'));
    expect(server.stats.Send).toBe(1);
    expect(server.stdinEnds).toBe(1);
  });

  test('closeStdin: false sends exactly what the recorded client sent, minus its Signal', async () => {
    const rec = recording('ClientRunCommand.yml');
    server = await startReplayServer({ recording: rec });
    const want = expectedFrom(rec);
    const r = await runCommand(client(server.url), want.command, want.args, { closeStdin: false, awaitClose: true });
    expect(r.stdout).toBe(want.stdout.toString('utf8'));
    expect(server.stats.Send).toBeUndefined();
    expect(server.stdinEnds).toBe(0);
    expect(server.unmatched).toEqual([]);
  });

  test('only an empty End is answered without a recording: a Send with data the recording lacks is unmatched', async () => {
    const rec = recording('ClientRunCommand.yml');
    server = await startReplayServer({ recording: rec });
    const want = expectedFrom(rec);
    await using shell = await openShell(client(server.url));
    const cmd = await shell.run(want.command, want.args);
    await expect(cmd.sendInput('x', { end: true })).rejects.toMatchObject({ code: expect.stringMatching(/^PSR_/) });
    expect(server.unmatched.map((u) => [u.operation, u.reason])).toEqual([['Send', 'no recorded Send for this target']]);
    expect(server.stdinEnds).toBe(0);
    cmd.abandon(new Error('done'));
  });

  test('ClientFetchFileFailDir: stderr text and exit code 1', async () => {
    const rec = recording('ClientFetchFileFailDir.yml');
    server = await startReplayServer({ recording: rec });
    const want = expectedFrom(rec);
    const r = await runCommand(client(server.url), want.command, want.args);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.length).toBeGreaterThan(0);
    expect(r.stderr).toBe(want.stderr.toString('utf8'));
  });

  test('a host string as target creates (and closes) its own client', async () => {
    const rec = recording('ClientRunCommand.yml');
    server = await startReplayServer({ recording: rec });
    const want = expectedFrom(rec);
    const r = await runCommand(server.url, want.command, want.args);
    expect(r.stdout).toBe(want.stdout.toString('utf8'));
    expect(r.exitCode).toBe(0);
  });
});

describe('streaming and stdin', () => {
  test('stdout streams through the async iterable and the exit code resolves', async () => {
    const rec = recording('ClientRunCommandWithArgs.yml');
    const want = expectedFrom(rec);
    server = await startReplayServer({ recording: rec });
    await using shell = await openShell(client(server.url));
    expect(shell.shellId).toMatch(/^[0-9A-F-]{36}$/i);
    const cmd = await shell.run(want.command, want.args);
    const chunks: Buffer[] = [];
    for await (const c of cmd.stdout) chunks.push(c);
    expect(Buffer.concat(chunks).equals(want.stdout)).toBe(true);
    expect(await cmd.wait()).toBe(want.exitCode);
  });

  test('ProtocolRunCommandWithCommandInput: stdin is sent with End and the output comes back', async () => {
    const rec = recording('ProtocolRunCommandWithCommandInput.yml');
    const want = expectedFrom(rec);
    const sendReq = rec.exchanges.find((x) => x.operation === 'Send')!.request;
    const stdin = Buffer.from(/<(?:\w+:)?Stream[^>]*>([^<]*)</.exec(sendReq)![1]!, 'base64');
    server = await startReplayServer({ recording: rec });
    const r = await runCommand(client(server.url), want.command, want.args, { stdin: stdin.toString('utf8') });
    expect(r.exitCode).toBe(want.exitCode);
    expect(r.stdoutBytes.equals(want.stdout)).toBe(true);
    expect(server.stats.Send).toBe(1);
    expect(server.unmatched).toEqual([]);
  });
});

describe('recorded faults surface as typed errors', () => {
  test('ProtocolRunCommandExceedingOperationTimeout: Receive returns the timeout event, not an error', async () => {
    const rec = recording('ProtocolRunCommandExceedingOperationTimeout.yml');
    server = await startReplayServer({ recording: rec });
    const c = client(server.url);
    const shell = await openShell(c);
    const want = expectedFrom(rec);
    const commandId = await c.command('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', shell.shellId, { command: want.command, args: want.args });
    const r = await c.receive('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', shell.shellId, { commandId });
    expect(r).toEqual({ type: 'timeout' });
    await c.close();
  });

  test('test_winrs_bad_cmd_id: the recorded InvalidSelectors fault rejects the command with WSManFaultError', async () => {
    const rec = recording('test_winrs_bad_cmd_id.yml');
    server = await startReplayServer({ recording: rec });
    const c = client(server.url);
    const shell = await openShell(c);
    await shell.run('cmd.exe', []).catch(() => undefined);
    // pypsrp asked for output of a command id that does not exist; the recorded answer is the fault.
    const badId = rec.exchanges.find((x) => x.operation === 'Receive')!.commandId!;
    const err = await c.receive('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', shell.shellId, { commandId: badId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WSManFaultError);
    expect((err as WSManFaultError).wsmanCode).toBe(2150858843);
    expect((err as WSManFaultError).httpStatus).toBe(500);
    expect((err as WSManFaultError).operation).toBe('Receive');
    expect((err as WSManFaultError).kind).toBe('ShellNotFound');
    await shell.close();
  });

  test('test_winrs_fail_poll_process: InvalidParameter on Receive', async () => {
    const rec = recording('test_winrs_fail_poll_process.yml');
    server = await startReplayServer({ recording: rec });
    const c = client(server.url);
    const shell = await openShell(c);
    const e = await c.receive('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', shell.shellId, { commandId: rec.exchanges.find((x) => x.operation === 'Receive')!.commandId ?? '' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WSManFaultError);
    expect((e as WSManFaultError).kind).toBe('InvalidParameter');
    await shell.close();
  });
});

describe('shells opened and closed, commands started and terminated (real recordings)', () => {
  test.each(['ProtocolOpenCloseShell.yml', 'test_winrs_open_already_opened.yml'])('%s: Create then Delete', async (file) => {
    const rec = recording(file);
    server = await startReplayServer({ recording: rec, maxDelayMs: 10 });
    const c = client(server.url);
    const shell = await openShell(c);
    expect(shell.info.shellId).toMatch(/^[0-9A-F-]{36}$/);
    await shell.close();
    await c.close();
    expect(server.unmatched).toEqual([]);
    expect(server.served.map((x) => x.operation)).toEqual(['Create', 'Delete']);
  });

  test.each(['ProtocolRunCommandWithArgsAndCleanup.yml', 'ProtocolRunCommandWithoutArgsAndCleanup.yml'])('%s: Command then Signal terminate', async (file) => {
    const rec = recording(file);
    const want = expectedFrom(rec);
    server = await startReplayServer({ recording: rec, maxDelayMs: 10, holdExhaustedReceiveMs: 50 });
    const c = client(server.url);
    const shell = await openShell(c);
    const cmd = await shell.run(want.command, want.args);
    await cmd.terminate();
    await shell.close();
    await c.close();
    expect(server.unmatched).toEqual([]);
    expect(server.served.map((x) => x.operation).filter((o) => o !== 'Receive')).toEqual(['Create', 'Command', 'Signal', 'Delete']);
  });
});

describe('recordings with several shells in a row (one command each, stdin when recorded)', () => {
  test.each(['test_client_execute_cmd.yml', 'ClientPutFile.yml', 'ClientPutFile_ZeroByteFile.yml'])('%s', async (file) => {
    const rec = recording(file);
    server = await startReplayServer({ recording: rec, maxDelayMs: 10 });
    const c = client(server.url);
    // Split the conversation at each Create: each part is one shell with one command.
    const parts: Recording[] = [];
    for (const x of rec.exchanges) {
      if (x.operation === 'Create') parts.push({ ...rec, exchanges: [] });
      (parts.at(-1)!.exchanges as typeof rec.exchanges[number][]).push(x);
    }
    for (const part of parts) {
      const want = expectedFrom(part);
      const send = part.exchanges.find((x) => x.operation === 'Send');
      const stdin = send ? Buffer.concat([...send.request.matchAll(/<(?:\w+:)?Stream\b[^>]*>([^<]*)</g)].map((m) => Buffer.from(m[1]!, 'base64'))) : undefined;
      const r = await runCommand(c, want.command, want.args, stdin ? { stdin } : {});
      expect(r.exitCode).toBe(want.exitCode);
      expect(r.stdoutBytes.equals(want.stdout)).toBe(true);
      expect(r.stderrBytes.equals(want.stderr)).toBe(true);
    }
    await c.close();
    expect(server.unmatched).toEqual([]);
    // Each recorded shell's Signal terminate is left out: its Delete follows.
    expect(server.served.map((s) => s.operation)).toEqual(rec.exchanges.map((x) => x.operation).filter((o) => o !== 'Signal'));
  });
});

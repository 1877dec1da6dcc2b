// The WinRS recordings in fixtures/ answering clients that did not make them,
// nothing seeded: `psremote exec` (the built CLI, a new process) against
// `psremote serve --replay`, and Debian's pywinrm (python3-winrm) against the
// replay server, in strict mode. Each gets the recorded stdout, stderr and exit
// code. Recordings left out are listed with the reason.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { allRecordingFiles, recording } from '../helpers/recordings.js';
import { SYSTEM_PYTHON, pywinrmAvailable, requirePeers } from '../helpers/pywinrm.js';
import { recordedCommands, runCli, startServe, type ServeProcess } from '../helpers/replay-cli.js';

const LEFT_OUT: Record<string, string> = {
  'ClientPutFile.yml': 'two shells, one per step (copy, then read back): one `exec` runs one command',
  'ClientPutFile_ZeroByteFile.yml': 'two shells, one per step: one `exec` runs one command',
  'test_client_execute_cmd.yml': 'two shells with a command each: one `exec` runs one command',
  'ProtocolOpenCloseShell.yml': 'no command',
  'test_winrs_open_already_opened.yml': 'no command',
  'test_winrs_fail_poll_process.yml': 'a Receive for a command never started, no command',
  'test_wsman_update_envelope_size_150.yml': 'a Get of the WSMan config, no shell',
  'test_wsman_update_envelope_size_500.yml': 'a Get of the WSMan config, no shell',
  'ProtocolRunCommandWithArgsAndCleanup.yml': 'Command then Signal with no Receive: the client never read the output, so there is none to compare',
  'ProtocolRunCommandWithoutArgsAndCleanup.yml': 'Command then Signal with no Receive: no output recorded',
  'ProtocolRunCommandExceedingOperationTimeout.yml': 'the recording ends in an OperationTimeout fault, no exit code',
  'test_winrs_bad_cmd_id.yml': 'a Receive for a wrong CommandId (pypsrp provoking a fault), no exit code',
};

const winrsFiles = allRecordingFiles().filter((f) => !recording(f).exchanges.some((x) => x.resourceUri?.startsWith('http://schemas.microsoft.com/powershell/')));
const name = (f: string) => f.split('/').pop()!;
const cases = winrsFiles.filter((f) => !LEFT_OUT[name(f)]).map(name);

test('the list of WinRS recordings left out names only real files', () => {
  const names = winrsFiles.map(name);
  for (const n of Object.keys(LEFT_OUT)) expect(names).toContain(n);
  expect(cases.length).toBeGreaterThanOrEqual(14);
});

let serve: ServeProcess | undefined;
let replay: ReplayServer | undefined;
afterEach(async () => {
  await serve?.stop();
  await replay?.close();
  serve = undefined;
  replay = undefined;
});

const pathOf = (file: string) => allRecordingFiles().find((f) => name(f) === file)!;

describe('psremote exec against psremote serve --replay', () => {
  test.each(cases)('%s', async (file) => {
    const [cmd, ...more] = recordedCommands(recording(file));
    expect(more).toEqual([]);
    serve = await startServe(['--replay', pathOf(file)]);
    const r = await runCli(['exec', serve.url, ...(cmd!.stdin ? ['--stdin'] : []), '--', cmd!.command, ...cmd!.args], cmd!.stdin ? { stdin: cmd!.stdin } : {});
    expect({ stdout: r.stdout, stderr: r.stderr, code: r.code }).toEqual({ stdout: cmd!.stdout, stderr: cmd!.stderr, code: cmd!.exitCode });
    const { stdout, stderr } = await serve.stop();
    expect(stderr).toBe('');
    expect(stdout).toMatch(/ 0 unmatched/);
    // Without --stdin, exec ends the command's stdin with an empty Send the recorded client did not send.
    if (cmd!.stdin) expect(stdout).not.toMatch(/stdin End/);
    else expect(stdout).toMatch(/; 1 empty stdin End not in the recording answered \(closeStdin\)\n$/);
  });
});

const peer = pywinrmAvailable();
if (!peer.ok && requirePeers()) throw new Error(`pywinrm peer required on CI but unavailable: ${peer.reason}`);
if (!peer.ok) console.warn(`skipping pywinrm replay tests: ${peer.reason}`);

// pywinrm's Protocol API, as its run_cmd uses it (open_shell, run_command, get_command_output, cleanup).
const RUN = `
import json, os, winrm
from winrm.protocol import Protocol
cmd, args, noprofile = json.loads(os.environ['CMD'])
p = Protocol(endpoint=os.environ['URL'], transport='plaintext', username='u', password='p')
shell = p.open_shell(noprofile=noprofile)
command = p.run_command(shell, cmd, args)
out, err, code = p.get_command_output(shell, command)
p.cleanup_command(shell, command)
p.close_shell(shell)
print(json.dumps({'stdout': out.decode('utf-8'), 'stderr': err.decode('utf-8'), 'code': code}))
`;

function python(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', RUN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe.skipIf(!peer.ok)("Debian's pywinrm against the replay server", () => {
  // pywinrm 0.3 (Debian's) has no way to send stdin.
  test.each(cases.filter((f) => f !== 'ProtocolRunCommandWithCommandInput.yml'))('%s', async (file) => {
    const rec = recording(file);
    const [cmd] = recordedCommands(rec);
    replay = await startReplayServer({ recording: rec, holdExhaustedReceiveMs: 100 });
    const r = await python({ URL: replay.url, CMD: JSON.stringify([cmd!.command, cmd!.args, cmd!.noProfile]) });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ stdout: cmd!.stdout, stderr: cmd!.stderr, code: cmd!.exitCode });
    expect(replay.unmatched).toEqual([]);
  });
});

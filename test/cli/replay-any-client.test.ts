// A user's view of replay (issue 18): `psremote serve --replay <a recording made
// by another client>` in one process, `psremote invoke` with the recorded script
// in another, nothing seeded. The client picks its own RunspacePool, Shell,
// Pipeline and Message ids; the replay server maps them and the client gets the
// recorded output, errors and exit status. Strict matching (the default) is
// used where the recorded pipeline is a script `invoke -c` sends as is; where
// pypsrp sent a command with parameters (which `-c` can only call from a
// script) the replay runs with --match lenient, and says so.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { allRecordingFiles, recording } from '../helpers/recordings.js';
import { CLI, recordedPipelines, runCli, scriptOf, startServe, type ServeProcess } from '../helpers/replay-cli.js';

const LEFT_OUT: Record<string, string> = {
  'test_client_copy_expand_vars.yml': 'two pools (copy, then hash check) with input streamed by Send: `invoke` sends no pipeline input',
  'test_client_copy_file.yml': 'two pools with input streamed by Send: `invoke` sends no pipeline input',
  'test_client_copy_file_empty.yml': 'three pools, one per step: `invoke` opens one',
  'test_client_copy_file_failure.yml': 'pipeline input sent by Send: `invoke` sends none',
  'test_client_copy_file_really_large.yml': 'pipeline input sent by Send: `invoke` sends none',
  'test_psrp_run_protocol_version_2.2.yml': 'pipeline input sent by Send: `invoke` sends none',
  'test_psrp_run_protocol_version_2.3.yml': 'pipeline input sent by Send: `invoke` sends none',
  'test_psrp_pshost_ui_mocked_methods.yml': 'host calls answered by a mocked host (and a recorded RSA key): replayed in securestring-replay.test.ts',
  'test_psrp_disconnect_runspaces.yml': 'two pools disconnected, reconnected and connected from a second client: no single `invoke` does that; replayed unseeded and strict through the library in disconnect-replay.test.ts',
  'test_psrp_get_command_metadata.yml': 'GET_COMMAND_METADATA, not a script: replayed in command-metadata.test.ts',
  'test_psrp_multiple_invocations.yml': 'two invocations in one pool: `invoke` runs one per process (library: pssession-all-recordings.test.ts)',
  'test_psrp_nested_command.yml': 'a nested pipeline beside a running one: nested-replay.test.ts',
  'test_psrp_reset_runspace_state.yml': 'two pipelines and a reset: pool-calls-replay.test.ts',
  'test_psrp_reset_runspace_state_fail.yml': 'a reset, no pipeline: pool-calls-replay.test.ts',
  'test_psrp_with_history.yml': 'two pipelines in one pool: `invoke` runs one per process',
  'test_psrp_with_no_history.yml': 'two pipelines in one pool: `invoke` runs one per process',
  'test_psrp_with_jea_configuration.yml': 'two pipelines in one pool: `invoke` runs one per process',
  'test_psrp_open_runspace.yml': 'no pipeline: `invoke` always runs one',
  'test_psrp_key_exchange_timeout.yml': 'a session-key request, no pipeline',
  'test_psrp_receive_failure.yml': 'a Receive for a CommandId never created (pypsrp provoking ShellNotFound), no pipeline',
  'test_psrp_is_alive_http_error.yml': 'a liveness probe (Get on the shell), no pipeline',
  'test_psrp_is_alive_other_wsman_error.yml': 'a liveness probe (Get on the shell), no pipeline',
  'test_psrp_is_alive_state_disconnected.yml': 'a liveness probe (Get on the shell), no pipeline',
};

const psFiles = allRecordingFiles().filter((f) => recording(f).exchanges.some((x) => x.resourceUri?.startsWith('http://schemas.microsoft.com/powershell/')));
const name = (f: string) => f.split('/').pop()!;

let serve: ServeProcess | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
});

test('the built CLI exists and the list of recordings left out names only real files', () => {
  expect(existsSync(CLI)).toBe(true);
  const names = psFiles.map(name);
  for (const n of Object.keys(LEFT_OUT)) expect(names).toContain(n);
  expect(psFiles.length - Object.keys(LEFT_OUT).length).toBeGreaterThanOrEqual(14);
});

describe('psremote invoke against psremote serve --replay of every one-pipeline PowerShell recording', () => {
  test.each(psFiles.filter((f) => !LEFT_OUT[name(f)]).map(name))('%s', async (file) => {
    const rec = recording(file);
    const [pipeline, ...more] = recordedPipelines(rec);
    expect(more).toEqual([]);
    const { script, exact } = scriptOf(pipeline!);
    const configurationName = rec.exchanges[0]!.resourceUri!.split('/').pop()!;
    serve = await startServe(['--replay', allRecordingFiles().find((f) => name(f) === file)!, '--match', exact ? 'strict' : 'lenient']);
    const r = await runCli(['invoke', serve.url, '-c', script, '--json', '--configuration-name', configurationName]);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(pipeline!.output);
    for (const e of pipeline!.errors) expect(r.stderr).toContain(e);
    const failed = pipeline!.state === 'Failed';
    if (failed) expect(r.stderr).toMatch(/\S/);
    expect(r.code).toBe(failed || pipeline!.errors.length > 0 ? 1 : 0);
    const { stdout, stderr } = await serve.stop();
    expect(stderr).toBe('');
    expect(stdout).toMatch(/ 0 unmatched/);
  });
});

describe('strict matching explains a changed script', () => {
  test('a different script is refused with a fault naming the exchange and both script texts; the CLI prints it', async () => {
    serve = await startServe(['--replay', allRecordingFiles().find((f) => name(f) === 'test_psrp_clear_commands.yml')!]);
    const r = await runCli(['invoke', serve.url, '-c', 'echo old', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('differs from recorded exchange 3: CREATE_PIPELINE command text: sent "echo old", recorded "echo new"');
    const { stderr } = await serve.stop();
    expect(stderr).toMatch(/unmatched request #\d+: Command .*CREATE_PIPELINE command text: sent "echo old", recorded "echo new"/);
  });

  test('two clients replay one recording at the same time, each with its own ids', async () => {
    serve = await startServe(['--replay', allRecordingFiles().find((f) => name(f) === 'test_psrp_no_profile.yml')!]);
    const script = '$env:USERPROFILE.ToUpperInvariant()';
    const [a, b] = await Promise.all([runCli(['invoke', serve.url, '-c', script, '--json']), runCli(['invoke', serve.url, '-c', script, '--json'])]);
    for (const r of [a, b]) {
      // --json: the default view would first ask the server whether it can format (a request the recording lacks).
      expect(r.stdout).toBe(`${JSON.stringify('C:\\WINDOWS\\SYSTEM32\\CONFIG\\SYSTEMPROFILE')}\n`);
      expect(r.code).toBe(0);
    }
    expect((await serve.stop()).stderr).toBe('');
  });
});

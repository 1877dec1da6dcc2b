// Recording from the client side and replaying it (issue 18): `psremote invoke
// --record` against `psremote serve --engine real` (PowerShell's own engine, the
// test peer host), then `psremote serve --replay` of that file answers a new
// `psremote invoke` with identical output, streams and exit status; a changed
// script is refused in strict mode with a mismatch naming the script text.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeWithRealEngine } from '../helpers/peers.js';
import { loadRecording } from '../../src/server/recording.js';
import { runCli, startServe, type ServeProcess } from '../helpers/replay-cli.js';

let servers: ServeProcess[] = [];
afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
});

const serve = async (args: string[]) => {
  const s = await startServe(args);
  servers.push(s);
  return s;
};

const SCRIPT = "1..3 | ForEach-Object { $_ * 2 }; Write-Warning 'careful'; [pscustomobject]@{ Name = 'n'; Size = 42 }; Write-Error 'it broke'";

describeWithRealEngine('psremote invoke --record against the real engine, then serve --replay', (host) => {
  it('replays with identical output, and names a changed script in strict mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'psr-record-'));
    const file = join(dir, 'real.jsonl');
    const live = await serve(['--engine', 'real', '--engine-command', host]);
    const recorded = await runCli(['invoke', live.url, '-c', SCRIPT, '--json', '--record', file], { timeoutMs: 90_000 });
    expect(recorded.stdout).toBe('2\n4\n6\n{"Name":"n","Size":42}\n');
    expect(recorded.stderr).toContain('WARNING: careful');
    expect(recorded.stderr).toContain('it broke');
    expect(recorded.code).toBe(1);
    await live.stop();

    // The file is psremote's format, one exchange per line, and loads as a recording.
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'psremote-recording', version: 1 });
    const rec = loadRecording(file);
    expect(rec.exchanges.map((x) => x.operation)).toEqual(expect.arrayContaining(['Create', 'Command', 'Receive', 'Delete']));

    const replay = await serve(['--replay', file]);
    const again = await runCli(['invoke', replay.url, '-c', SCRIPT, '--json']);
    expect(again).toEqual(recorded);
    const changed = await runCli(['invoke', replay.url, '-c', "'something else'", '--json']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('CREATE_PIPELINE command text: sent "\'something else\'", recorded "1..3 | ForEach-Object');
    const { stdout, stderr } = await replay.stop();
    expect(stderr).toMatch(/differs from recorded exchange \d+: CREATE_PIPELINE command text/);
    expect(stdout).toMatch(/requests matched, [1-9]\d* unmatched/);
  });
});

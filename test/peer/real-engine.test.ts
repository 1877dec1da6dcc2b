// psremote's PSRP client against PowerShell's own server (System.Management.Automation
// 7.6.9 in test/peer, over the OutOfProc framing on stdio). Everything the server
// sends here is SMA's serialization; the scripts use the stand-in cmdlets of
// test/peer/kit where SMA alone has none (Write-*, Start-Sleep, Read-Host).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession } from '../../src/session/open.js';
import { PipelineFailedError } from '../../src/session/powershell.js';
import type { RunspacePool } from '../../src/session/runspace-pool.js';
import { getProperty, readString } from '../../src/psrp/clixml-bridge.js';
import { recordMessage } from '../../src/clixml/display.js';
import { toPlain } from '../../src/clixml/plain.js';
import { describeWithRealEngine } from '../helpers/peers.js';

const prop = (v: unknown, name: string) => getProperty(v, name);

describeWithRealEngine('real PowerShell engine over stdio', (host) => {
  let pool: RunspacePool;

  beforeAll(async () => {
    pool = await openSession(`exec:${host}`, { signal: AbortSignal.timeout(60_000) });
  });

  afterAll(async () => {
    await pool?.close(AbortSignal.timeout(30_000));
  });

  it('opens the pool at protocol 2.3 and reports the server PSVersionTable', () => {
    expect(pool.state).toBe('Opened');
    expect(pool.serverProtocolVersion).toBe('2.3');
    const plain = toPlain(pool.applicationPrivateData) as Record<string, Record<string, unknown>>;
    expect(plain.PSVersionTable?.PSVersion).toBe('7.6.9');
    expect(plain.PSVersionTable?.PSEdition).toBe('Core');
  });

  it('runs 1..3 | ForEach-Object { $_ * 2 } and gets numbers back as numbers', async () => {
    const r = await pool.invoke('1..3 | ForEach-Object { $_ * 2 }').result();
    expect(r.output).toEqual([2, 4, 6]);
    expect(r.state).toBe('Completed');
    expect(r.hadErrors).toBe(false);
  });

  it('gets strings, booleans, null, doubles and a hashtable as the engine serialized them', async () => {
    const r = await pool.invoke("'text'; $true; $null; 1.5; [int64]1 -shl 40; @{ a = 1; b = 'x' }").result();
    expect(r.output.slice(0, 3)).toEqual(['text', true, null]);
    expect(toPlain(r.output[3])).toBe(1.5);
    expect(toPlain(r.output[4])).toBe(2 ** 40);
    expect(toPlain(r.output[5])).toEqual({ a: 1, b: 'x' });
  });

  it('carries every stream with its records’ fields', async () => {
    const inv = pool.invoke(
      [
        "$VerbosePreference = 'Continue'; $DebugPreference = 'Continue'",
        "Write-Output 'out'",
        "Write-Error 'an error' -ErrorId 'Test.Id' -Category InvalidData -TargetObject 'tgt'",
        "Write-Warning 'a warning'",
        "Write-Verbose 'a verbose line'",
        "Write-Debug 'a debug line'",
        "Write-Information 'some information' -Tags t1, t2",
        "Write-Host 'host text'",
        "Write-Progress -Activity 'Act' -Status 'Half way' -PercentComplete 50 -Id 3",
        "'last'",
      ].join('\n'),
    );
    const r = await inv.result();
    expect(r.output).toEqual(['out', 'last']);
    expect(r.hadErrors).toBe(true);

    expect(r.error).toHaveLength(1);
    const err = r.error[0];
    expect(recordMessage(err as never)).toBe('an error');
    expect(readString(prop(err, 'FullyQualifiedErrorId'))).toBe('Test.Id,PsrpTestKit.WriteErrorCommand');
    expect(readString(prop(err, 'ErrorCategory_Reason'))).toBe('InvalidOperationException');
    expect(readString(prop(err, 'TargetObject'))).toBe('tgt');
    expect(toPlain(prop(err, 'ErrorCategory_Category'))).toBe(6); // ErrorCategory.InvalidData

    expect(r.warning.map((w) => recordMessage(w))).toEqual(['a warning']);
    expect(r.verbose.map((w) => recordMessage(w))).toEqual(['a verbose line']);
    expect(r.debug.map((w) => recordMessage(w))).toEqual(['a debug line']);

    expect(r.information).toHaveLength(2);
    const [info, hostInfo] = r.information;
    expect(toPlain(prop(info, 'MessageData'))).toBe('some information');
    expect(toPlain(prop(info, 'Tags'))).toEqual(['t1', 't2']);
    expect(toPlain(prop(hostInfo, 'Tags'))).toEqual(['PSHOST']);
    expect(toPlain(prop(prop(hostInfo, 'MessageData'), 'Message'))).toBe('host text');

    expect(r.progress).toHaveLength(1);
    const p = r.progress[0];
    expect(readString(prop(p, 'Activity'))).toBe('Act');
    expect(readString(prop(p, 'StatusDescription'))).toBe('Half way');
    expect(toPlain(prop(p, 'PercentComplete'))).toBe(50);
    expect(toPlain(prop(p, 'ActivityId'))).toBe(3);
  });

  it('streams pipeline input from an async iterable into $input', async () => {
    async function* numbers() {
      for (let i = 1; i <= 5; i++) {
        await new Promise((r) => setTimeout(r, 5));
        yield i;
      }
    }
    const r = await pool.invoke('$sum = 0; foreach ($x in $input) { $sum += $x; "got $x" }; $sum', { input: numbers() }).result();
    expect(r.output).toEqual(['got 1', 'got 2', 'got 3', 'got 4', 'got 5', 15]);
  });

  it('invokes a command with parameters', async () => {
    const r = await pool.invoke({ command: 'Write-Output', parameters: { InputObject: 'param value' } }).result();
    expect(r.output).toEqual(['param value']);
  });

  it('a throw fails the pipeline with PipelineFailedError carrying the error record', async () => {
    const inv = pool.invoke("'before'; throw 'boom from the script'");
    const e = await inv.result().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(PipelineFailedError);
    const failed = e as PipelineFailedError;
    expect(failed.code).toBe('PSR_PIPELINE_FAILED');
    expect(failed.message).toContain('boom from the script');
    expect(readString(prop(failed.errorRecord, 'FullyQualifiedErrorId'))).toBe('boom from the script');
    expect(inv.output.items).toEqual(['before']);
    expect(inv.state).toBe('Failed');
  });

  it('statement errors are written and the script goes on, as with Invoke-Command', async () => {
    const r = await pool.invoke('Get-NoSuchThing; "after"; 1/0; "after 2"').result();
    expect(r.output).toEqual(['after', 'after 2']);
    expect(r.error.map((e) => readString(prop(e, 'FullyQualifiedErrorId')))).toEqual(['CommandNotFoundException', 'RuntimeException']);
    expect(r.state).toBe('Completed');
  });

  it('with RedirectShellErrorOutputPipe false (pypsrp’s choice) the first statement error fails the script', async () => {
    const e = await pool.invoke('1/0; "after"', { redirectShellErrorOutputPipe: false }).result().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(PipelineFailedError);
    expect((e as PipelineFailedError).message).toContain('Attempted to divide by zero.');
  });

  it('the pool stays usable after failures', async () => {
    expect((await pool.invoke('40 + 2').result()).output).toEqual([42]);
  });

  it('streams 50 MB of output in one pipeline (20 000 objects of 2 500 characters)', async () => {
    let count = 0;
    let chars = 0;
    for await (const o of pool.invoke("1..20000 | ForEach-Object { [string]::new([char](65 + $_ % 26), 2500) }")) {
      count++;
      chars += (o as string).length;
      if (count === 1) expect(o).toBe('B'.repeat(2500));
    }
    expect(count).toBe(20_000);
    expect(chars).toBe(50_000_000);
  });

  it('receives one 5 MiB string that spans about 160 fragments (one <Data> line each)', async () => {
    const r = await pool.invoke("[string]::new([char]'y', 5MB)").result();
    expect(r.output).toEqual(['y'.repeat(5 * 1024 * 1024)]);
  });

  it('sends a 3 MiB input object across many 32 KiB payloads', async () => {
    const r = await pool.invoke('foreach ($s in $input) { $s.Length; $s.Substring(0, 3) }', { input: ['abc'.repeat(1024 * 1024)] }).result();
    expect(r.output).toEqual([3 * 1024 * 1024, 'abc']);
  });
});

describeWithRealEngine('real PowerShell engine: protocol versions', (host) => {
  it.each(['2.2', '2.3', '2.4'])('a client advertising %s gets a server at that version', async (version) => {
    const pool = await openSession(`exec:${host}`, { protocolVersion: version, signal: AbortSignal.timeout(60_000) });
    try {
      expect(pool.serverProtocolVersion).toBe(version);
      expect((await pool.invoke('$PSVersionTable.PSVersion.ToString()').result()).output).toEqual(['7.6.9']);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });
});

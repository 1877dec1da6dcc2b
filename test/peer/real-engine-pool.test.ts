// Runspace-pool calls and host calls against PowerShell's own server (test/peer).
import { expect, it } from 'vitest';
import { openSession } from '../../src/session/open.js';
import type { HostCall, PSHost } from '../../src/session/host/host.js';
import { describeWithRealEngine } from '../helpers/peers.js';

class RecordingHost implements PSHost {
  readonly calls: HostCall[] = [];
  constructor(private readonly answers: Record<string, unknown> = {}) {}
  call(call: HostCall) {
    this.calls.push(call);
    if (call.method in this.answers) return this.answers[call.method] as never;
    if (/^Write|^SetShouldExit/.test(call.method)) return undefined;
    throw new Error(`RecordingHost does not answer ${call.method}`);
  }
}

describeWithRealEngine('real PowerShell engine: runspace-pool calls', (host) => {
  it('GET_AVAILABLE_RUNSPACES, SET_MAX/MIN_RUNSPACES and RESET_RUNSPACE_STATE', async () => {
    const pool = await openSession(`exec:${host}`, { signal: AbortSignal.timeout(60_000) });
    try {
      expect(await pool.getAvailableRunspaces()).toBe(1);
      await pool.invoke('$global:kept = 5').result();
      expect((await pool.invoke('"kept=$global:kept"').result()).output).toEqual(['kept=5']);
      expect(await pool.resetRunspaceState()).toBe(true);
      expect((await pool.invoke('"kept=$global:kept"').result()).output).toEqual(['kept=']);
      expect(await pool.setMaxRunspaces(4)).toBe(true);
      expect(await pool.setMinRunspaces(2)).toBe(true);
      expect(await pool.getAvailableRunspaces()).toBe(4);
      // PowerShell resets only a pool of one runspace (observed: false once max > 1).
      expect(await pool.resetRunspaceState()).toBe(false);
      expect(await pool.setMinRunspaces(5)).toBe(false); // more than the maximum
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });
});

describeWithRealEngine('real PowerShell engine: host calls', (host) => {
  it('void UI calls, PromptForChoice and ReadLine reach the pipeline’s host in order', async () => {
    const recorder = new RecordingHost({ PromptForChoice: 1, ReadLine: 'line' });
    const pool = await openSession(`exec:${host}`, { host: recorder, signal: AbortSignal.timeout(60_000) });
    try {
      const script = [
        "$host.UI.WriteLine('line for the host')",
        "$host.UI.Write('partial')",
        "$c = $host.UI.PromptForChoice('Caption', 'Pick one', [System.Management.Automation.Host.ChoiceDescription[]]@('&Yes', '&No'), 0)",
        '$l = $host.UI.ReadLine()',
        '"choice=$c line=$l host=$($host.Name)"',
      ].join('; ');
      const inv = pool.invoke(script);
      const r = await inv.result();
      expect(r.output).toEqual(['choice=1 line=line host=ServerRemoteHost']);
      expect(recorder.calls.map((c) => [c.method, c.methodId])).toEqual([
        ['WriteLine2', 16],
        ['Write1', 13],
        ['PromptForChoice', 26],
        ['ReadLine', 11],
      ]);
      expect(recorder.calls.slice(0, 2).map((c) => c.parameters)).toEqual([['line for the host'], ['partial']]);
      expect(recorder.calls[2]!.parameters.slice(0, 2)).toEqual(['Caption', 'Pick one']);
      expect(recorder.calls.every((c) => c.pipelineId === inv.pipelineId)).toBe(true);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('the initial command’s host output is a runspace-pool host call during open', async () => {
    const recorder = new RecordingHost();
    const pool = await openSession(`exec:${host} --init "$host.UI.WriteLine('from init')"`, { host: recorder, signal: AbortSignal.timeout(60_000) });
    try {
      expect((await pool.invoke('1').result()).output).toEqual([1]);
      expect(recorder.calls.map((c) => [c.method, c.parameters, c.pipelineId])).toEqual([['WriteLine2', ['from init'], undefined]]);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });
});

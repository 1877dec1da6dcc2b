// When the local endpoint releases a finished command (issue 24, docs/endpoint.md
// "What the endpoint holds"): a PowerShell command at its Done answer, a WinRS
// command at Signal terminate or at any signal after Done. psremote's own
// client drives the sessions; the raw repeats (a second Receive, a ctrl_c after
// Done) are sent with its WSManClient, as pywinrm/pypsrp send them.
import { afterEach, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { openShell } from '../../src/winrm/winrs.js';
import { resolveTarget } from '../../src/winrm/target.js';
import { RESOURCE, SIGNAL } from '../../src/wsman/index.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

describe('PowerShell commands', () => {
  test('released when their Done is answered; a repeated Receive gets Done again, a late Signal is accepted', async () => {
    ep = await startEndpoint();
    const pool = await openSession(ep.url, { closeOnExit: false });
    const pipelineId = 'd1b2c3d4-0000-4000-8000-00000000000a';
    const r = await pool.invoke('Write-Output 1', { pipelineId }).result();
    expect(r.output).toEqual([1]);
    expect(ep.stats.commandsHeld).toBe(0);
    expect(ep.stats.recentlyDone).toBe(1);
    expect(ep.shells()[0]!.commands).toEqual([]);
    const { client } = resolveTarget(ep.url);
    const shellId = pool.runspacePoolId.toUpperCase();
    const resource = RESOURCE.powershell('Microsoft.PowerShell');
    const again = await client.receive(resource, shellId, { commandId: pipelineId.toUpperCase(), streams: 'stdout' });
    expect(again).toMatchObject({ type: 'data', streams: [], commandState: { state: 'Done', exitCode: 0 } });
    await expect(client.signal(resource, shellId, SIGNAL.terminate, { commandId: pipelineId.toUpperCase() })).resolves.toBeUndefined();
    // An id never seen is still unknown.
    await expect(client.receive(resource, shellId, { commandId: 'E1B2C3D4-0000-4000-8000-00000000000B', streams: 'stdout' })).rejects.toMatchObject({ kind: 'ShellNotFound' });
    // The same id used again names the new command, not the released one.
    const second = await pool.invoke('Write-Output 2', { pipelineId }).result();
    expect(second.output).toEqual([2]);
    await client.close();
    await pool.close();
  });

  test('the shell remembers only the last 16 released ids', async () => {
    ep = await startEndpoint();
    const pool = await openSession(ep.url, { closeOnExit: false });
    for (let i = 0; i < 40; i++) await pool.invoke('Write-Output 1').result();
    expect(ep.stats.recentlyDone).toBe(16);
    expect(ep.stats.commandsHeld).toBe(0);
    await pool.close();
  });
});

describe('WinRS commands', () => {
  test('ctrl_c after Done releases the command, as terminate does; ctrl_c while running does not', async () => {
    ep = await startEndpoint({
      cmdCommands: {
        one: (ctx) => {
          ctx.stdout('1');
          return 0;
        },
        hang: (ctx) => new Promise<number>((r) => ctx.signal.addEventListener('abort', () => r(130))),
      },
    });
    const shell = await openShell(ep.url);
    const { client } = resolveTarget(ep.url);
    // Run `one` and follow it to Done by hand, without psremote's Signal terminate.
    const commandId = await client.command(RESOURCE.cmdShell, shell.shellId, { command: 'one', args: [] });
    let done = false;
    while (!done) {
      const r = await client.receive(RESOURCE.cmdShell, shell.shellId, { commandId, streams: 'stdout stderr' });
      done = r.type === 'data' && r.commandState?.state === 'Done';
    }
    expect(ep.stats.commandsHeld).toBe(1); // a WinRS command waits for its Signal
    await client.signal(RESOURCE.cmdShell, shell.shellId, SIGNAL.ctrlC, { commandId });
    expect(ep.stats.commandsHeld).toBe(0);

    const hang = await client.command(RESOURCE.cmdShell, shell.shellId, { command: 'hang', args: [] });
    await client.signal(RESOURCE.cmdShell, shell.shellId, SIGNAL.ctrlC, { commandId: hang });
    expect(ep.stats.commandsHeld).toBe(1); // interrupted, its end not received yet
    await client.signal(RESOURCE.cmdShell, shell.shellId, SIGNAL.terminate, { commandId: hang });
    expect(ep.stats.commandsHeld).toBe(0);
    await client.close();
    await shell.close();
  });
});

// PowerShell's own engine behind psremote's WinRM endpoint (`serve --engine real`):
// psremote's client speaks WS-Management to the endpoint, which hands each
// PowerShell shell to a real PSRP server process over OutOfProc. This joins the
// two halves end to end: open, output as objects, streams, a host call on the
// `pr` stream, stop, and Disconnect/Reconnect with a pipeline that runs on while
// the client is away.
import { afterEach, expect, it } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { describeWithRealEngine } from '../helpers/peers.js';
import { credentialAnswer, secureStringAnswer } from '../../src/session/host/host.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

describeWithRealEngine('real PowerShell engine behind the WinRM endpoint', (host) => {
  it('runs pipelines with every stream, answers a host call, stops, and closes', async () => {
    ep = await startEndpoint({ realEngine: [host] });
    const pool = await openSession(ep.url, {
      signal: AbortSignal.timeout(60_000),
      host: { call: (c) => (c.method === 'ReadLine' ? 'typed over wsman' : undefined) },
    });
    try {
      expect((await pool.invoke('1..3 | ForEach-Object { $_ * 2 }').result()).output).toEqual([2, 4, 6]);
      const r = await pool.invoke('Write-Warning w1; Write-Verbose v1 -Verbose; Write-Error e1; "out"').result();
      expect(r.output).toEqual(['out']);
      expect(r.warning).toHaveLength(1);
      expect(r.verbose).toHaveLength(1);
      expect(r.error).toHaveLength(1);
      expect((await pool.invoke('$x = Read-Host; "got $x"').result()).output).toEqual(['got typed over wsman']);
      const sleeper = pool.invoke('Start-Sleep -Seconds 30; "never"');
      await sleeper.started;
      await new Promise((res) => setTimeout(res, 300));
      await sleeper.stop();
      expect(sleeper.state).toBe('Stopped');
      expect((await pool.invoke('"still alive"').result()).output).toEqual(['still alive']);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
    expect(ep.stats.openShells).toBe(0);
    expect(ep.log.filter((l) => l.operation === 'engine')).toEqual([]);
  });

  it('input, pool calls, GET_COMMAND_METADATA, a SecureString and a PSCredential over WSMan', async () => {
    ep = await startEndpoint({ realEngine: [host] });
    const pool = await openSession(ep.url, {
      signal: AbortSignal.timeout(60_000),
      maxRunspaces: 2,
      host: {
        call: (c) =>
          c.method === 'ReadLineAsSecureString' ? secureStringAnswer('over-wsman') : c.method.startsWith('PromptForCredential') ? credentialAnswer('ann', 'pw-ann') : undefined,
      },
    });
    try {
      async function* numbers() {
        for (let i = 1; i <= 4; i++) yield i;
      }
      expect((await pool.invoke('$input | ForEach-Object { $_ * 10 }', { input: numbers() }).result()).output).toEqual([10, 20, 30, 40]);
      expect(await pool.getAvailableRunspaces()).toBe(2);
      expect(await pool.setMaxRunspaces(3)).toBe(true);
      const cmds = await pool.getCommandMetadata({ name: ['Read-Host'] });
      expect(cmds.map((c) => c.name)).toEqual(['Read-Host']);
      const r = await pool.invoke('ConvertFrom-SecureString (Read-Host -AsSecureString) -AsPlainText; (Get-Credential -UserName ann).GetNetworkCredential().Password').result();
      expect(r.output).toEqual(['over-wsman', 'pw-ann']);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('Disconnect-PSSession while a pipeline runs, Connect-PSSession later: the output produced meanwhile arrives once', async () => {
    ep = await startEndpoint({ realEngine: [host] });
    const pool = await openSession(ep.url, { signal: AbortSignal.timeout(60_000) });
    try {
      const inv = pool.invoke('1..3 | ForEach-Object { $_ }; Start-Sleep -Milliseconds 800; 4..6 | ForEach-Object { $_ }');
      const seen: unknown[] = [];
      const done = (async () => {
        for await (const x of inv) seen.push(x);
      })();
      while (seen.length < 3) await new Promise((res) => setTimeout(res, 20));
      await pool.disconnect({ idleTimeoutMs: 60_000 });
      expect(ep.shells()[0]?.state).toBe('Disconnected');
      await new Promise((res) => setTimeout(res, 1_500)); // the rest is produced while we are away
      expect(seen).toEqual([1, 2, 3]);
      await pool.reconnect();
      await done;
      expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await inv.result()).state).toBe('Completed');
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('an engine that cannot start ends the session with a clear error, not a hang', async () => {
    ep = await startEndpoint({ realEngine: ['/nonexistent/psrp-server'] });
    const err = await openSession(ep.url, { signal: AbortSignal.timeout(20_000), networkRetryMs: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PSR_SESSION_NOT_FOUND' });
    expect(ep.log.find((l) => l.operation === 'engine')?.reason).toMatch(/could not start \/nonexistent\/psrp-server/);
  });
});

describeWithRealEngine('real engine: a refused Create', (host) => {
  it('a PowerShell Create without creationXml is refused before any engine process starts', async () => {
    const { existsSync, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'psremote-engine-'));
    const marker = join(dir, 'started');
    try {
      // The engine command leaves a mark when it starts.
      ep = await startEndpoint({ realEngine: ['/bin/sh', '-c', `touch '${marker}'; exec '${host}'`] });
      const { recording } = await import('../helpers/recordings.js');
      const create = recording('test_psrp_open_runspace.yml').exchanges[0]!.request.replace(/<creationXml[^>]*>[^<]*<\/creationXml>/, '');
      const r = await fetch(ep.url, { method: 'POST', body: create, headers: { 'content-type': 'application/soap+xml;charset=UTF-8' } });
      expect(r.status).toBe(500);
      expect(await r.text()).toContain('w:InvalidParameter');
      await new Promise((res) => setTimeout(res, 300));
      expect(existsSync(marker)).toBe(false);
      expect(ep.stats.openShells).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

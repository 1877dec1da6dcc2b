// The session key exchange and GET_COMMAND_METADATA against PowerShell's own
// server (test/peer): Read-Host -AsSecureString answered with a SecureString
// makes the pool exchange a key first, and the real engine decrypts it; a
// SecureString the server sends back decrypts here; Get-Command on the server
// returns real CommandMetadata.
import { expect, it } from 'vitest';
import { openSession } from '../../src/session/open.js';
import { makeSecureString, readSecureString } from '../../src/psrp/clixml-bridge.js';
import { describeWithRealEngine } from '../helpers/peers.js';
import { credentialAnswer } from '../../src/session/host/host.js';

describeWithRealEngine('real PowerShell engine: SecureStrings and command metadata', (host) => {
  it('Read-Host -AsSecureString: key exchange on demand, the server reads the text, and sends a SecureString back', async () => {
    const pool = await openSession(`exec:${host}`, {
      signal: AbortSignal.timeout(60_000),
      host: { call: (c) => (c.method === 'ReadLineAsSecureString' ? makeSecureString('s3cret-value') : undefined) },
    });
    try {
      expect(pool.serverProtocolVersion).toBe('2.3');
      const r = await pool.invoke('$s = Read-Host -AsSecureString; ConvertFrom-SecureString $s -AsPlainText; $s').result();
      expect(r.output[0]).toBe('s3cret-value');
      expect(readSecureString(r.output[1])).toBe('s3cret-value');
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('Get-Credential answered with credentialAnswer(): the server gets a PSCredential whose password decrypts', async () => {
    const calls: string[] = [];
    const pool = await openSession(`exec:${host}`, {
      signal: AbortSignal.timeout(60_000),
      host: {
        call: (c) => {
          calls.push(c.method);
          return c.method.startsWith('PromptForCredential') ? credentialAnswer('bob', 'pw-for-bob') : undefined;
        },
      },
    });
    try {
      const r = await pool.invoke('$c = Get-Credential -UserName bob; $c.GetType().FullName; $c.UserName; $c.GetNetworkCredential().Password').result();
      expect(r.output).toEqual(['System.Management.Automation.PSCredential', 'bob', 'pw-for-bob']);
      expect(calls.filter((m) => m.startsWith('PromptForCredential'))).toHaveLength(1);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('getCommandMetadata returns what Get-Command knows on the server', async () => {
    const pool = await openSession(`exec:${host}`, { signal: AbortSignal.timeout(60_000) });
    try {
      const cmds = await pool.getCommandMetadata({ name: ['Get-Comm*', 'Read-Host'] });
      const names = cmds.map((c) => c.name).sort();
      expect(names).toEqual(['Get-Command', 'Read-Host']);
      const readHost = cmds.find((c) => c.name === 'Read-Host')!;
      expect(readHost.commandType).toBe(8); // Cmdlet
      expect(readHost.parameters.AsSecureString?.parameterType).toBe('System.Management.Automation.SwitchParameter');
      expect(await pool.getCommandMetadata({ name: ['No-SuchCommand'] })).toEqual([]);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });
});

// `serve --engine real` (pwsh -s behind the endpoint) with CredSSP: the
// engine process is told the delegated user in its environment
// (PSREMOTE_DELEGATED_USER), never the password; a shell that did not come
// through CredSSP has no such variable, even when the endpoint's own
// environment has one. The real engine is not given the credential itself
// (docs/auth.md, "CredSSP and the real engine", says why).
import { afterEach, expect, it } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { describeWithPwsh, pwshEngineCommand } from '../helpers/pwsh.js';
import { makePki } from '../transport/http/pki.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

describeWithPwsh('CredSSP with the real PowerShell engine', (pwsh) => {
  const start = async () => {
    const pki = makePki();
    try {
      ep = await startEndpoint({
        users: { alice: 'Alice-pw-1' },
        auth: ['credssp', 'basic'],
        allowUnencrypted: true,
        credsspTls: { cert: pki.serverCert, key: pki.serverKey },
        realEngine: pwshEngineCommand(pwsh),
      });
    } finally {
      pki.cleanup();
    }
  };
  const script = '$env:PSREMOTE_DELEGATED_USER; [bool](Get-ChildItem env: | Where-Object { $_.Value -like "*Alice-pw-1*" })';

  it('pwsh -s sees $env:PSREMOTE_DELEGATED_USER, and no variable holds the password', async () => {
    await start();
    const pool = await openSession(ep!.url, { credential: { authentication: 'credssp', username: 'WORKGROUP\\alice', password: 'Alice-pw-1' }, operationTimeoutMs: 60_000, signal: AbortSignal.timeout(120_000) });
    try {
      expect((await pool.invoke(script).result()).output).toEqual(['WORKGROUP\\alice', false]);
    } finally {
      await pool.close();
    }
  }, 180_000);

  it("without CredSSP the engine has none, even with one in the endpoint's own environment", async () => {
    const before = process.env.PSREMOTE_DELEGATED_USER;
    process.env.PSREMOTE_DELEGATED_USER = 'inherited-from-the-endpoint';
    try {
      await start();
      const pool = await openSession(ep!.url, { credential: { authentication: 'basic', username: 'alice', password: 'Alice-pw-1' }, allowUnencrypted: true, operationTimeoutMs: 60_000, signal: AbortSignal.timeout(120_000) });
      try {
        expect((await pool.invoke('$null -eq $env:PSREMOTE_DELEGATED_USER').result()).output).toEqual([true]);
      } finally {
        await pool.close();
      }
    } finally {
      if (before === undefined) delete process.env.PSREMOTE_DELEGATED_USER;
      else process.env.PSREMOTE_DELEGATED_USER = before;
    }
  }, 180_000);
});

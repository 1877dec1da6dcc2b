// Connect-PSSession used wrongly, against the local endpoint: each mistake gets
// an error that says which one it was. (Expiry is in endpoint-harness.test.ts.)
import { afterEach, beforeEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { connectSession, openSession } from '../../src/session/open.js';
import { openShell } from '../../src/winrm/winrs.js';

let ep: LocalEndpoint;
beforeEach(async () => {
  ep = await startEndpoint();
});
afterEach(async () => {
  await ep.close();
});

test('a shell another client holds: PSR_SESSION_IN_USE, and it works once that client disconnects', async () => {
  const a = await openSession(ep.url, { closeOnExit: false });
  const shellId = a.runspacePoolId.toUpperCase();
  const err = await connectSession(ep.url, shellId).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'PSR_SESSION_IN_USE' });
  expect((err as Error).message).toBe(
    `the session ${shellId} on ${ep.url} is connected to another client: disconnect it there first (Disconnect-PSSession), or wait until the server disconnects it`,
  );
  expect((await a.invoke('Write-Output still-mine').result()).output).toEqual(['still-mine']); // A is not disturbed
  await a.disconnect();
  const b = await connectSession(ep.url, shellId);
  expect(b.state).toBe('Opened');
  await b.close();
});

test('a cmd shell is not a PowerShell session', async () => {
  const shell = await openShell(ep.url);
  const err = await connectSession(ep.url, shell.info.shellId).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'PSR_SESSION_NOT_FOUND' });
  expect((err as Error).message).toMatch(/is not a PowerShell session \(its resource is http:\/\/schemas\.microsoft\.com\/wbem\/wsman\/1\/windows\/shell\/cmd\)/);
  await shell.close();
});

test('the wrong configuration name says which configuration the session belongs to', async () => {
  const a = await openSession(ep.url, { configurationName: 'Contoso.JEA', closeOnExit: false });
  const shellId = a.runspacePoolId.toUpperCase();
  await a.disconnect();
  const err = await connectSession(ep.url, shellId).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'PSR_SESSION_NOT_FOUND' });
  expect((err as Error).message).toContain(`belongs to the configuration Contoso.JEA, not Microsoft.PowerShell: connect with configurationName 'Contoso.JEA'`);
  const b = await connectSession(ep.url, shellId, { configurationName: 'Contoso.JEA' });
  expect((await b.invoke('Write-Output jea').result()).output).toEqual(['jea']);
  await b.close();
});

test('a ShellId the server never had', async () => {
  const err = await connectSession(ep.url, '11111111-2222-3333-4444-555555555555').catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'PSR_SESSION_NOT_FOUND' });
  expect((err as Error).message).toMatch(/11111111-2222-3333-4444-555555555555 on .* no longer exists/);
});

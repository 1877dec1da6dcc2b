// `psremote serve --auth credssp` and `--auth credssp` on the client commands,
// run from the built package: cmd and PowerShell over http (encrypted), the
// one-time delegation warning on the client, the server telling who delegated
// (never the password), and a wrong password exiting non-zero with the NTSTATUS.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI, spawnCli, startServe, type Serve } from '../helpers/cli.js';
import { makePki, type Pki } from '../transport/http/pki.js';

const PW = 'Cli-CredSSP-Pw-4';
let dir: string;
let pki: Pki;
let server: Serve | undefined;
let url = '';

beforeAll(async () => {
  expect(existsSync(CLI) && existsSync('dist/transport/http/credssp-auth.js'), 'run `npm run build` first').toBe(true);
  pki = makePki();
  dir = mkdtempSync(join(tmpdir(), 'psremote-cli-credssp-'));
  writeFileSync(join(dir, 'users'), `alice:${PW}\n`);
  writeFileSync(join(dir, 'cert.pem'), pki.serverCert);
  writeFileSync(join(dir, 'key.pem'), pki.serverKey);
  server = await startServe(['--auth', 'credssp', '--users', join(dir, 'users'), '--credssp-tls', `${join(dir, 'cert.pem')},${join(dir, 'key.pem')}`], { timeoutMs: 20_000 });
  url = server.url;
}, 120_000);

afterAll(() => {
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
  pki.cleanup();
});

const cli = (args: string[], env: Record<string, string> = {}) => spawnCli(args, { env: { ...process.env, ...env }, timeoutMs: 20_000 });

const warning = /^WARNING: --auth credssp delegates your password to http:\/\/127\.0\.0\.1:\d+\/wsman: .* act as WORKGROUP\\alice on other machines\n$/;

describe('psremote serve --auth credssp with --auth credssp clients', () => {
  test('exec runs a cmd command over http; one warning; the server names who delegated', async () => {
    const r = await cli(['exec', url, '--auth', 'credssp', '-u', 'WORKGROUP\\alice', '--password-env', 'PSR_PW', '--', 'echo', 'via-credssp'], { PSR_PW: PW });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('via-credssp\n');
    expect(r.stderr).toMatch(warning);
    expect(server!.output()).toMatch(/credssp: alice delegated credentials for WORKGROUP\\alice\n/);
    expect(server!.output()).not.toContain(PW);
  });

  test('invoke runs PowerShell', async () => {
    const r = await cli(['invoke', url, '--auth', 'credssp', '-u', 'WORKGROUP\\alice', '--password-env', 'PSR_PW', '-c', 'Write-Output 7 eight', '--json'], { PSR_PW: PW });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('7\n"eight"\n');
    expect(r.stderr).toMatch(warning);
  });

  test('a wrong password exits non-zero, says STATUS_LOGON_FAILURE, never prints the password', async () => {
    const r = await cli(['exec', url, '--auth', 'credssp', '-u', 'WORKGROUP\\alice', '--password-env', 'PSR_PW', '--', 'echo', 'x'], { PSR_PW: 'Wrong-Pw-77' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/STATUS_LOGON_FAILURE/);
    expect(r.stdout + r.stderr + server!.output()).not.toContain('Wrong-Pw-77');
  });
});

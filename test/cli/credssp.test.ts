// `psremote serve --auth credssp` and `--auth credssp` on the client commands,
// run from the built package: cmd and PowerShell over http (encrypted), the
// one-time delegation warning on the client, the server telling who delegated
// (never the password), and a wrong password exiting non-zero with the NTSTATUS.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makePki, type Pki } from '../transport/http/pki.js';

const CLI = 'dist/cli/main.js';
const PW = 'Cli-CredSSP-Pw-4';
let dir: string;
let pki: Pki;
let server: ChildProcess | undefined;
let url = '';
let serverOut = '';

beforeAll(async () => {
  expect(existsSync(CLI) && existsSync('dist/transport/http/credssp-auth.js'), 'run `npm run build` first').toBe(true);
  pki = makePki();
  dir = mkdtempSync(join(tmpdir(), 'psremote-cli-credssp-'));
  writeFileSync(join(dir, 'users'), `alice:${PW}\n`);
  writeFileSync(join(dir, 'cert.pem'), pki.serverCert);
  writeFileSync(join(dir, 'key.pem'), pki.serverKey);
  server = spawn(process.execPath, [CLI, 'serve', '--auth', 'credssp', '--users', join(dir, 'users'), '--credssp-tls', `${join(dir, 'cert.pem')},${join(dir, 'key.pem')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${serverOut}`)), 20_000);
    server!.stdout!.on('data', (d: Buffer) => {
      serverOut += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/wsman)\n.*\n/.exec(serverOut);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    server!.stderr!.on('data', (d: Buffer) => (serverOut += d.toString()));
  });
}, 120_000);

afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  pki.cleanup();
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const warning = /^WARNING: --auth credssp delegates your password to http:\/\/127\.0\.0\.1:\d+\/wsman: .* act as WORKGROUP\\alice on other machines\n$/;

describe('psremote serve --auth credssp with --auth credssp clients', () => {
  test('exec runs a cmd command over http; one warning; the server names who delegated', async () => {
    const r = await cli(['exec', url, '--auth', 'credssp', '-u', 'WORKGROUP\\alice', '--password-env', 'PSR_PW', '--', 'echo', 'via-credssp'], { PSR_PW: PW });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('via-credssp\n');
    expect(r.stderr).toMatch(warning);
    expect(serverOut).toMatch(/credssp: alice delegated credentials for WORKGROUP\\alice\n/);
    expect(serverOut).not.toContain(PW);
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
    expect(r.stdout + r.stderr + serverOut).not.toContain('Wrong-Pw-77');
  });
});

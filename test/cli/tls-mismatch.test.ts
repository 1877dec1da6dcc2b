// Every CLI command that talks to a host, against an https endpoint whose
// certificate names only IP 127.0.0.1, reached as `localhost`
// (ERR_TLS_CERT_ALTNAME_INVALID): each must exit non-zero with one line on
// stderr naming the name checked and the names in the certificate. Each run is
// a real process, so a promise that never settles (the old `client.close()`
// after a failed TLS connect) would show as exit 0 with no output.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { makePki, type Pki } from '../transport/http/pki.js';

const CLI = 'dist/cli/main.js';
let pki: Pki;
let ep: LocalEndpoint;
let home: string;
let url: string;
let caFile: string;

beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  pki = makePki();
  ep = await startEndpoint({ tls: { cert: pki.ipOnlyCert, key: pki.ipOnlyKey } });
  url = ep.url.replace('127.0.0.1', 'localhost');
  home = mkdtempSync(join(tmpdir(), 'psremote-home-'));
  caFile = join(home, 'ca.pem');
  writeFileSync(caFile, pki.caCert);
  // A named session whose handle points at the mismatched name, for the commands that start from a name.
  const handle = { name: 'job', endpoint: url, shellId: '11111111-2222-3333-4444-555555555555', runspacePoolId: '11111111-2222-3333-4444-555555555555', configurationName: 'Microsoft.PowerShell', createdAt: new Date().toISOString() };
  writeFileSync(join(home, 'sessions.json'), JSON.stringify({ sessions: [handle] }));
}, 120_000);

afterAll(async () => {
  await ep?.close();
  pki?.cleanup();
  rmSync(home, { recursive: true, force: true });
});

function cli(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, PSREMOTE_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
    child.stdin!.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ca = () => ['--ca', caFile];
const CASES: readonly (readonly [string, () => string[]])[] = [
  ['identify', () => ['identify', url, ...ca()]],
  ['exec', () => ['exec', url, ...ca(), '--', 'echo', 'hi']],
  ['wmi', () => ['wmi', url, ...ca(), 'SELECT * FROM Win32_OperatingSystem']],
  ['invoke', () => ['invoke', url, ...ca(), '-c', 'hostname']],
  ['invoke --session', () => ['invoke', '--session', 'job', ...ca(), '-c', 'hostname']],
  ['session new', () => ['session', 'new', url, '--name', 'fresh', ...ca()]],
  ['session list --remote', () => ['session', 'list', '--remote', url, ...ca()]],
  ['session receive', () => ['session', 'receive', 'job', ...ca()]],
  ['session connect', () => ['session', 'connect', 'job', ...ca()]],
  ['session disconnect', () => ['session', 'disconnect', 'job', ...ca()]],
  ['session remove NAME', () => ['session', 'remove', 'job', ...ca()]],
  ['session remove --remote', () => ['session', 'remove', '--remote', url, ...ca()]],
];

describe('a TLS name mismatch ends every host command with one clear line and a non-zero exit', () => {
  test.each(CASES)('%s', async (_name, args) => {
    const r = await cli(args());
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull(); // exited by itself, not killed by the timeout
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^psremote: .*certificate verification failed: the server certificate does not name this host: checked "localhost", the certificate names IP Address:127\.0\.0\.1 \[ERR_TLS_CERT_ALTNAME_INVALID\].*\(PSR_TRANSPORT_TLS\)$/);
    expect(r.stdout).toBe('');
  });

  test('invoke over two hosts reports the failure of each and exits non-zero', async () => {
    const r = await cli(['invoke', `${url},${url}`, ...ca(), '-c', 'hostname']);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr.match(/checked "localhost", the certificate names IP Address:127\.0\.0\.1/g)?.length).toBeGreaterThanOrEqual(1);
  });

  test('the endpoint saw no request: the handshake failed first, and nothing was created', () => {
    expect(ep.stats.openShells).toBe(0);
    expect(Object.values(ep.stats.requests).reduce((a, b) => a + b, 0)).toBe(0);
  });
});

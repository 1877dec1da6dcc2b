import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { WINRMSHARP_DIR, PYPSRP_DIR } from '../helpers/recordings.js';
import { until } from '../helpers/until.js';

const CLI = 'dist/cli/main.js';

beforeAll(() => {
  // The CLI is tested as users run it: from the built package.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  expect(existsSync(CLI)).toBe(true);
}, 120_000);

function cli(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  try {
    // A timeout, since a synchronous child that hangs would block the test runner itself.
    const stdout = execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 20_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('psremote', () => {
  test('--help lists the commands', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: psremote/);
    expect(r.stdout).toMatch(/serve/);
    expect(r.stdout).toMatch(/decode/);
  });

  test('--version prints the package version', () => {
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('errors are one line with the error code', () => {
    const r = cli(['serve', '--port', '99999']);
    // A usage error exits 2 (docs/cli.md, exit codes).
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('psremote: invalid --port 99999 (PSR_USAGE)\n');
    const bad = cli(['serve', '--replay', 'no-such-file.yml']);
    expect(bad.stderr).toMatch(/^psremote: no-such-file.yml: cannot read: .*\(PSR_RECORDING_INVALID\)\n$/);
  });
});

describe('psremote serve --replay', () => {
  test('prints its URL, answers a recorded request and reports an unmatched one', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--replay', `${WINRMSHARP_DIR}/ProtocolOpenCloseShell.yml`], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/wsman)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', () => reject(new Error(`exited: ${out} ${err}`)));
      });
      const { recording } = await import('../helpers/recordings.js');
      const create = recording('ProtocolOpenCloseShell.yml').exchanges[0]!;
      const r = await fetch(url, { method: 'POST', body: create.request });
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('ResourceCreated');
      const r2 = await fetch(url, { method: 'POST', body: create.request.replace('transfer/Create<', 'transfer/Frobnicate<') });
      expect(r2.status).toBe(500);
      // Written before the answer, but on another pipe: wait for it rather than a fixed 100 ms.
      await until(() => err.includes('unmatched request #1'), 'the unmatched line on stderr');
      expect(err).toMatch(/unmatched request #1: Invoke: no recorded Invoke for this target/);
      child.kill('SIGTERM');
      await new Promise((res) => child.on('close', res));
      expect(out).toMatch(/1 requests matched, 1 unmatched, 1 recorded exchanges unused/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('psremote decode', () => {
  test('a WinRS recording: exact JSON lines for the Receive and its response', () => {
    const r = cli(['decode', `${PYPSRP_DIR}/test_winrs_standard.yml`]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(10);
    expect(lines.map((l) => l.envelope)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lines[5]).toEqual({
      envelope: 5,
      action: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse',
      shellId: '4283CBDC-3706-415B-88BD-B385F3E51A53',
      commandId: 'CF84C20A-0A35-43FA-AF78-0B4711DA5F30',
      fault: null,
      exitCode: 0,
      commandState: 'Done',
      streams: [
        { name: 'stdout', commandId: 'CF84C20A-0A35-43FA-AF78-0B4711DA5F30', end: false, text: 'hi\r\n' },
        { name: 'stdout', commandId: 'CF84C20A-0A35-43FA-AF78-0B4711DA5F30', end: true, text: '' },
        { name: 'stderr', commandId: 'CF84C20A-0A35-43FA-AF78-0B4711DA5F30', end: true, text: '' },
      ],
      psrp: [],
    });
  });

  test('a PowerShell recording: the PSRP message sequence and a data value', () => {
    const r = cli(['decode', `${PYPSRP_DIR}/test_psrp_open_runspace.yml`]);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; psrp: { type: string; destination: string; pid: string | null; data: unknown }[] });
    const types = lines.map((l) => l.psrp.map((p) => p.type));
    expect(types.flat()).toEqual(['SESSION_CAPABILITY', 'INIT_RUNSPACEPOOL', 'SESSION_CAPABILITY', 'APPLICATION_PRIVATE_DATA', 'RUNSPACEPOOL_STATE']);
    const state = lines.flatMap((l) => l.psrp).find((p) => p.type === 'RUNSPACEPOOL_STATE')!;
    expect(state.destination).toBe('client');
    expect(state.pid).toBeNull();
    expect(state.data).toEqual({ RunspaceState: 2 });
  });

  test('a fault envelope from stdin', async () => {
    const { recording } = await import('../helpers/recordings.js');
    const fault = recording('test_winrs_bad_cmd_id.yml').exchanges.find((x) => x.response.status === 500)!.response.body;
    const r = cli(['decode', '-'], fault);
    expect(JSON.parse(r.stdout)).toMatchObject({
      envelope: 0,
      action: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
      fault: { subcode: 'w:InvalidSelectors', wsmanCode: 2150858843, message: expect.stringMatching(/^The Windows Remote Shell received a request/) },
    });
  });

  test('bad input names what was wrong', () => {
    const r = cli(['decode', '-'], '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^psremote: envelope 0: SOAP envelope has no Body/);
  });
});

describe('psremote invoke and demo against the local endpoint', () => {
  async function withEndpoint<T>(fn: (url: string) => Promise<T>): Promise<T> {
    const { startEndpoint } = await import('../../src/server/endpoint.js');
    const ep = await startEndpoint();
    try {
      return await fn(ep.url);
    } finally {
      await ep.close();
    }
  }
  function cliAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  test('--json prints one output object per line; streams go to stderr with prefixes', async () => {
    const r = await withEndpoint((url) => cliAsync(['invoke', url, '-c', "Write-Output 2 4 'six'; Write-Warning careful", '--json']));
    expect(r.stdout).toBe('2\n4\n"six"\n');
    expect(r.stderr).toBe('WARNING: careful\n');
    expect(r.code).toBe(0);
  });

  test('errors written by the pipeline make the exit code 1; a failed pipeline too', async () => {
    const r = await withEndpoint((url) => cliAsync(['invoke', url, '-c', 'Write-Error bad']));
    expect(r.stderr).toBe('ERROR: bad\n');
    expect(r.code).toBe(1);
    const f = await withEndpoint((url) => cliAsync(['invoke', url, '-c', 'Get-Nothing']));
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/^psremote: the pipeline failed: the scripted engine does not run "Get-Nothing".*\(PSR_PIPELINE_FAILED\)\n$/);
  });

  test('several hosts with --throttle, output prefixed per host', async () => {
    const r = await withEndpoint((url) => cliAsync(['invoke', `${url},${url}`, '-c', 'Write-Output x', '--throttle', '2']));
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([`[${'127.0.0.1'}] x`.replace('127.0.0.1', r.stdout.slice(1, r.stdout.indexOf(']'))), `[${r.stdout.slice(1, r.stdout.indexOf(']'))}] x`]);
    expect(r.code).toBe(0);
  });

  test('npm run demo runs PowerShell and cmd through the local endpoint', async () => {
    const r = await cliAsync(['demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/output: hello from PowerShell remoting\n  output: 42\n/);
    expect(r.stdout).toMatch(/WARNING: this is the warning stream/);
    expect(r.stdout).toMatch(/stdout: hello from a WinRS shell\n  exit code: 0/);
  });
});

describe('psremote session list --remote', () => {
  test('shows the disconnected sessions of a recorded Windows host', async () => {
    const { startReplayServer } = await import('../../src/server/replay.js');
    const { recording } = await import('../helpers/recordings.js');
    const full = recording('test_psrp_disconnect_runspaces.yml');
    const server = await startReplayServer({ recording: { ...full, exchanges: full.exchanges.filter((x) => x.operation === 'Enumerate') } });
    try {
      const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'session', 'list', '--remote', server.url], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
      });
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      // IdleTimeout 7200 s and MaxIdle 2147483 s as Windows reported them, Idle, ExpiresIn, no commands.
      expect(lines[1]).toMatch(/^B6631D8E-65A0-49F2-9053-A1B156C95777\s+Disconnected\s+Microsoft\.PowerShell\s+7200s\s+2147484s\s+\d+s\s+\d+s\s+-$/);
      expect(lines[2]).toMatch(/^01AA3E43-9E21-424B-A7FC-BC16AA34F4CE\s+Disconnected/);
    } finally {
      await server.close();
    }
  });
});

describe('psremote serve --https --record', () => {
  test('serves https with the given files, and the recording holds the exchanges of an exec run against it', async () => {
    const { makePki } = await import('../transport/http/pki.js');
    const { writeFileSync, readFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const pki = makePki();
    const cert = join(pki.dir, 'srv.pem');
    const key = join(pki.dir, 'srv.key');
    const ca = join(pki.dir, 'ca.pem');
    const rec = join(pki.dir, 'rec.jsonl');
    writeFileSync(cert, pki.serverCert);
    writeFileSync(key, pki.serverKey);
    writeFileSync(ca, pki.caCert);
    const child = spawn(process.execPath, [CLI, 'serve', '--https', `${cert},${key}`, '--record', rec], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (https:\/\/127\.0\.0\.1:\d+\/wsman)\n.*engine.*\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', () => reject(new Error(`exited: ${out}`)));
      });
      expect(out).toContain(`recording to ${rec}`);
      const { execFile } = await import('node:child_process');
      const r = await new Promise<{ stdout: string; code: number }>((done) =>
        execFile(process.execPath, [CLI, 'exec', url, '--ca', ca, '--', 'echo', 'via-tls'], { timeout: 20_000 }, (e, stdout) =>
          done({ stdout, code: e ? Number((e as { code?: number }).code ?? 1) : 0 }),
        ),
      );
      expect(r).toEqual({ stdout: 'via-tls\n', code: 0 });
      const lines = readFileSync(rec, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { operation?: string; format?: string });
      expect(lines[0]).toMatchObject({ format: 'psremote-recording', version: 1 });
      // exec without --stdin ends the command's stdin (a Send); its command is the shell's last: no Signal terminate, the Delete releases it.
      expect(lines.slice(1).map((l) => l.operation).join(' ')).toMatch(/^Create Command Send (Receive )+Delete$/);
      const bad = cli(['serve', '--https', cert]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/--https takes two files/);
      rmSync(rec);
    } finally {
      child.kill('SIGKILL');
      pki.cleanup();
    }
  });
});

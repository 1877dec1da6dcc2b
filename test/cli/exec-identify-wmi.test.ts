// `psremote exec`, `identify` and `wmi`, driven in-process through commander
// with captured streams, against the replay server (real recordings) and
// loopback servers.

import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { afterEach, describe, expect, test } from 'vitest';
import * as exec from '../../src/cli/commands/exec.js';
import * as identify from '../../src/cli/commands/identify.js';
import * as wmi from '../../src/cli/commands/wmi.js';
import type { CliIO } from '../../src/cli/main.js';
import { PsRemoteError } from '../../src/errors.js';
import { startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { recording } from '../helpers/recordings.js';
import { IDENTIFY_RESPONSE, soap, startServer, type TestServer } from '../transport/http/helpers.js';
import { startFakeWinRS } from '../session/fake-winrs.js';
import { startEndpoint } from '../../src/server/endpoint.js';

let replay: ReplayServer | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await replay?.close();
  await server?.close();
  replay = server = undefined;
  process.exitCode = undefined;
  delete process.env.PSR_TEST_PW;
});

async function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string; error?: PsRemoteError }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const stdin = new PassThrough();
  if (input !== undefined) stdin.end(input);
  const io: CliIO = { stdout, stderr, stdin };
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  for (const m of [exec, identify, wmi]) m.register(program, io);
  process.exitCode = undefined;
  let error: PsRemoteError | undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof PsRemoteError)) throw e;
    error = e;
  }
  const code = error ? 1 : typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ...(error ? { error } : {}) };
}

const stdoutOf = (file: string, stream: string) =>
  Buffer.concat(
    recording(file)
      .exchanges.filter((x) => x.operation === 'Receive')
      .flatMap((x) => [...x.response.body.matchAll(new RegExp(`Name="${stream}"[^>]*>([^<]+)<`, 'g'))].map((m) => Buffer.from(m[1]!, 'base64'))),
  ).toString('utf8');

describe('psremote exec', () => {
  test('a Receive answer lost in flight: the retry is told on stderr, the output arrives once, exit 0', async () => {
    const ep = await startEndpoint({ cmdCommands: { hello: (ctx) => (ctx.stdout('hello\n'), 0) } });
    try {
      ep.faults.add({ operation: 'Receive', anyCommand: true, action: { type: 'dropAfter' } });
      const r = await cli(['exec', ep.url, '--', 'hello']);
      expect(r.error).toBeUndefined();
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('hello\n');
      expect(r.stderr).toMatch(/^psremote: Receive to 127\.0\.0\.1:\d+: the connection was closed before the response was complete .*; retrying for up to 4 minutes\npsremote: the connection is back\n$/);
    } finally {
      await ep.close();
    }
  });

  test('streams stdout and exits 0 (ClientRunCommand recording)', async () => {
    replay = await startReplayServer({ match: 'lenient', recording: recording('ClientRunCommand.yml') });
    const r = await cli(['exec', replay.url, '--', 'ipconfig', '/all']);
    expect(r.error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(stdoutOf('ClientRunCommand.yml', 'stdout'));
    expect(replay.unmatched).toEqual([]);
  });

  test('writes stderr and exits with the remote exit code 1 (ClientFetchFileFailDir recording)', async () => {
    replay = await startReplayServer({ match: 'lenient', recording: recording('ClientFetchFileFailDir.yml') });
    const r = await cli(['exec', replay.url, '--', 'powershell', '-Command', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(stdoutOf('ClientFetchFileFailDir.yml', 'stderr'));
    expect(r.stderr.length).toBeGreaterThan(0);
  });

  test('Basic over http is refused without --insecure-allow-unencrypted; the password is never printed', async () => {
    process.env.PSR_TEST_PW = 'Hunter2-secret';
    const r = await cli(['exec', 'http://127.0.0.1:9/wsman', '--user', 'admin', '--password-env', 'PSR_TEST_PW', '--', 'hostname']);
    expect(r.code).toBe(1);
    expect(r.error?.code).toBe('PSR_USAGE');
    expect(r.error?.message).toMatch(/clear text/);
    expect(r.error?.message + r.stdout + r.stderr).not.toContain('Hunter2-secret');
  });

  test('sends Basic credentials when explicitly allowed', async () => {
    process.env.PSR_TEST_PW = 'Hunter2-secret';
    const rec = recording('ClientRunCommand.yml');
    replay = await startReplayServer({ match: 'lenient', recording: rec });
    const seen: string[] = [];
    server = await startServer(async (req, res) => {
      seen.push(String(req.headers.authorization));
      const up = await fetch(replay!.url, { method: 'POST', body: req.body, headers: { 'content-type': 'application/soap+xml;charset=UTF-8' } });
      soap(res, await up.text(), up.status);
    });
    const r = await cli(['exec', server.url, '--user', 'admin', '--password-env', 'PSR_TEST_PW', '--insecure-allow-unencrypted', '--', 'ipconfig']);
    expect(r.code).toBe(0);
    expect(new Set(seen)).toEqual(new Set([`Basic ${Buffer.from('admin:Hunter2-secret').toString('base64')}`]));
  });

  test('a missing password variable is a usage error naming the variable', async () => {
    const r = await cli(['exec', 'https://h', '--user', 'admin', '--password-env', 'PSR_TEST_PW', '--', 'x']);
    expect(r.error?.code).toBe('PSR_USAGE');
    expect(r.error?.message).toContain('PSR_TEST_PW');
  });

  test('--insecure-skip-verify prints a warning', async () => {
    replay = await startReplayServer({ match: 'lenient', recording: recording('ClientRunCommand.yml') });
    const r = await cli(['identify', 'https://127.0.0.1:9/wsman', '--insecure-skip-verify']);
    expect(r.stderr).toMatch(/WARNING: server certificate verification is off/);
    expect(r.code).toBe(1);
  });
});

test('exec --stdin forwards standard input (scripted endpoint that upper-cases stdin)', async () => {
  const fake = await startFakeWinRS();
  try {
    const r = await cli(['exec', fake.url, '--stdin', '--', 'findstr', '.'], 'piped text\n');
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('PIPED TEXT\n');
    expect(r.code).toBe(0);
    expect(fake.commands[0]!.stdin.toString()).toBe('piped text\n');
  } finally {
    await fake.close();
  }
});

describe('psremote identify', () => {
  test('--no-proxy ignores HTTP_PROXY', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE));
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = 'http://127.0.0.1:9';
    try {
      expect((await cli(['identify', server.url])).error?.message).toMatch(/proxy/);
      expect((await cli(['identify', server.url, '--no-proxy'])).code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });

  test('text and --json', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE));
    const t = await cli(['identify', server.url]);
    expect(t.stdout).toContain('product vendor:   Microsoft Corporation');
    const j = await cli(['identify', server.url, '--json']);
    expect(JSON.parse(j.stdout)).toEqual({
      endpoint: server.url,
      protocolVersion: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
      productVendor: 'Microsoft Corporation',
      productVersion: 'OS: 0.0.0 SP: 0.0 Stack: 3.0',
      securityProfiles: ['http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos'],
    });
    expect(server.requests.every((r) => r.headers['user-agent'] === 'Microsoft WinRM Client')).toBe(true);
  });

  test('an HTML error page is reported with the status and host', async () => {
    server = await startServer((_r, res) => void res.writeHead(503, { 'content-type': 'text/html' }).end('<html><title>Down</title></html>'));
    const r = await cli(['identify', server.url]);
    expect(r.error?.code).toBe('PSR_TRANSPORT_HTTP_STATUS');
    expect(r.error?.message).toContain(`Identify to 127.0.0.1:${server.port}: HTTP 503`);
  });
});

describe('psremote wmi', () => {
  test('--json prints one record per line (hand-written WMI response)', async () => {
    server = await startServer((r, res) => {
      const mid = /<wsa:MessageID>([^<]*)</.exec(r.body)![1];
      soap(
        res,
        `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:RelatesTo>${mid}</a:RelatesTo></s:Header><s:Body><n:EnumerateResponse><w:Items>` +
          `<p:Win32_OperatingSystem xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_OperatingSystem"><p:Caption>Microsoft Windows Server 2022</p:Caption><p:Version>10.0.20348</p:Version></p:Win32_OperatingSystem>` +
          `</w:Items><w:EndOfSequence/></n:EnumerateResponse></s:Body></s:Envelope>`,
      );
    });
    const r = await cli(['wmi', server.url, 'SELECT Caption,Version FROM Win32_OperatingSystem', '--json', '--namespace', 'root\\cimv2']);
    expect(r.error).toBeUndefined();
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { class: 'Win32_OperatingSystem', Caption: 'Microsoft Windows Server 2022', Version: '10.0.20348' },
    ]);
    const t = await cli(['wmi', server.url, 'SELECT Caption,Version FROM Win32_OperatingSystem']);
    expect(t.stdout).toBe('Caption : Microsoft Windows Server 2022\nVersion : 10.0.20348\n');
  });
});

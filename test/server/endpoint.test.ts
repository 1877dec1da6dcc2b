// The local endpoint answered by psremote's own clients (PowerShell sessions
// and the WinRS API), and its answers checked against the shape of Windows'.
import { afterEach, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { runCommand, openShell } from '../../src/winrm/winrs.js';
import { parseEnvelope, parseCreateResponse, parseResponse, WSManFaultError } from '../../src/wsman/index.js';
import { PipelineFailedError } from '../../src/session/powershell.js';
import { recording } from '../helpers/recordings.js';
import { basicAuth } from '../../src/transport/http/auth.js';
import { ManualClock } from '../../src/util/clock.js';
import { until } from '../helpers/until.js';

/** Moves `clock` on by `stepMs` `times` times, each time waiting for the pool Receive the timeout answered to be renewed (held again). */
async function renewPoolReceive(e: LocalEndpoint, clock: ManualClock, stepMs: number, times: number): Promise<void> {
  const receives = () => e.stats.requests.Receive ?? 0;
  await until(() => e.stats.pendingReceives === 1, 'the pool Receive held');
  for (let i = 0; i < times; i++) {
    const before = receives();
    await clock.advance(stepMs);
    await until(() => receives() === before + 1 && e.stats.pendingReceives === 1, 'the pool Receive renewed');
  }
}

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

describe('PowerShell shells on the scripted engine', () => {
  test('open, run, streams, failure and close through openSession', async () => {
    ep = await startEndpoint();
    const pool = await openSession(ep.url, { operationTimeoutMs: 5_000 });
    const r = await pool.invoke("Write-Output 1 two 'three four'; Write-Warning careful; Write-Error oops").result();
    expect(r.output).toEqual([1, 'two', 'three four']);
    expect(r.warning).toEqual(['careful']);
    expect(r.error).toEqual(['oops']);
    const err = await pool.invoke('Get-ChildItem').result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFailedError);
    expect((err as Error).message).toMatch(/scripted engine does not run "Get-ChildItem"/);
    expect(ep.stats.openShells).toBe(1);
    await pool.close();
    expect(ep.stats.openShells).toBe(0);
    // Round trips: Create, Command, Delete; Receives as needed; no Signal for a finished pipeline.
    expect(ep.stats.requests.Create).toBe(1);
    expect(ep.stats.requests.Command).toBe(2);
    expect(ep.stats.requests.Delete).toBe(1);
    expect(ep.stats.requests.Signal ?? 0).toBe(0);
  });

  test('input streams through Send', async () => {
    ep = await startEndpoint();
    const pool = await openSession(ep.url);
    const r = await pool.invoke('$input', { input: ['a', 'b', 3] }).result();
    expect(r.output).toEqual(['a', 'b', 3]);
    await pool.close();
  });

  test('stop sends the crtl_c signal and the pipeline ends Stopped; a custom handler runs', async () => {
    ep = await startEndpoint({
      handler: async (ctx) => {
        ctx.output('started');
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
      },
    });
    const pool = await openSession(ep.url);
    const inv = pool.invoke('Start-Sleep 600');
    const it = inv[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('started');
    await inv.stop();
    expect((await inv.result()).state).toBe('Stopped');
    expect(ep.stats.requests.Signal).toBe(1);
    await pool.close();
  });

  test('an idle pool keeps a Receive outstanding, renewed on each timeout', async () => {
    const clock = new ManualClock();
    ep = await startEndpoint({ maxOperationTimeoutMs: 100, clock });
    const pool = await openSession(ep.url, { operationTimeoutMs: 100 });
    const poolReceives = () => ep!.log.filter((l) => l.operation === 'Receive' && !l.commandId);
    await until(() => ep!.stats.pendingReceives === 1, 'the pool Receive held');
    const answered = poolReceives().length;
    // Nothing happens before the OperationTimeout…
    await clock.advance(99);
    expect(poolReceives().length).toBe(answered);
    await clock.advance(1);
    // …then each timeout (the 500 fault) is followed by a new pool Receive.
    await until(() => poolReceives().length === answered + 1 && ep!.stats.pendingReceives === 1);
    await renewPoolReceive(ep, clock, 100, 2);
    const timedOut = poolReceives().slice(answered);
    expect(timedOut.map((l) => l.status)).toEqual([500, 500, 500]);
    expect((await pool.invoke('Write-Output still-here').result()).output).toEqual(['still-here']);
    await pool.close();
  });
});

describe('WinRS shells run commands through the local shell', () => {
  test('stdout, stderr and the exit code', async () => {
    ep = await startEndpoint();
    const r = await runCommand(ep.url, 'echo', ['hello;', 'echo', 'err', '1>&2;', 'exit', '3']);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('err\n');
    expect(r.exitCode).toBe(3);
  });

  test('stdin, environment and working directory', async () => {
    ep = await startEndpoint();
    const r = await runCommand(ep.url, 'cat; echo $PSR_TEST; pwd', [], { stdin: 'from stdin\n', environment: { PSR_TEST: 'env-value' }, workingDirectory: '/tmp' });
    expect(r.stdout).toBe('from stdin\nenv-value\n/tmp\n');
    expect(r.exitCode).toBe(0);
  });

  test('several commands on one shell', async () => {
    ep = await startEndpoint();
    const shell = await openShell(ep.url);
    for (const n of [1, 2, 3]) {
      const c = await shell.run('echo', [String(n)]);
      expect((await c.stdout.collect()).toString()).toBe(`${n}\n`);
      expect(await c.exitCode).toBe(0);
    }
    await shell.close();
    expect(ep.stats.openShells).toBe(0);
  });
});

describe('answers have the shape of Windows answers', () => {
  async function post(body: string): Promise<{ status: number; body: string }> {
    const r = await fetch(ep!.url, { method: 'POST', body, headers: { 'content-type': 'application/soap+xml;charset=UTF-8' } });
    return { status: r.status, body: await r.text() };
  }

  test.each(['test_winrs_standard.yml', 'test_psrp_open_runspace.yml'])('%s: a recorded Create gets a CreateResponse with the same elements as Windows sent', async (file) => {
    ep = await startEndpoint();
    const x = recording(file).exchanges[0]!;
    const ours = await post(x.request);
    expect(ours.status).toBe(200);
    const a = parseCreateResponse(parseResponse(ours.body));
    const b = parseCreateResponse(parseResponse(x.response.body));
    expect(Object.keys(a).filter((k) => a[k as keyof typeof a] !== undefined).sort()).toEqual(
      Object.keys(b).filter((k) => b[k as keyof typeof b] !== undefined).sort(),
    );
    expect(parseEnvelope(ours.body).action).toBe(parseEnvelope(x.response.body).action);
  });

  test('a Receive on an unknown command gets the fault Windows sends (test_winrs_bad_cmd_id)', async () => {
    ep = await startEndpoint();
    const rec = recording('test_winrs_bad_cmd_id.yml');
    const created = parseCreateResponse(parseResponse((await post(rec.exchanges[0]!.request)).body));
    const recorded = rec.exchanges.find((e) => e.operation === 'Receive')!;
    const req = recorded.request.replaceAll(rec.exchanges[0]!.response.body.match(/ShellId">([^<]+)</)![1]!, created.shellId);
    const ours = await post(req);
    expect(ours.status).toBe(recorded.response.status);
    const theirs = parseEnvelope(recorded.response.body).fault!;
    const mine = parseEnvelope(ours.body).fault!;
    expect([mine.subcode, mine.wsmanCode, mine.kind, mine.message]).toEqual([theirs.subcode, theirs.wsmanCode, theirs.kind, theirs.message]);
  });

  test('Basic authentication when users are configured', async () => {
    ep = await startEndpoint({ users: { alice: 's3cret' }, allowUnencrypted: true });
    await expect(runCommand(ep.url, 'echo', ['x'])).rejects.toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    const r = await runCommand(ep.url, 'echo', ['x'], { auth: basicAuth('alice', 's3cret'), allowUnencrypted: true });
    expect(r.stdout).toBe('x\n');
  });

  test('Identify', async () => {
    ep = await startEndpoint();
    const r = await post('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>');
    expect(r.status).toBe(200);
    expect(r.body).toContain('IdentifyResponse');
  });

  test('unknown shells are the ShellNotFound fault for psremote clients too', async () => {
    ep = await startEndpoint();
    const shell = await openShell(ep.url);
    await shell.close();
    await expect(shell.run('echo', ['x'])).rejects.toBeInstanceOf(Error);
    void WSManFaultError;
  });
});

describe('keep-alive against an endpoint that drops idle shells', () => {
  // Windows drops a shell with no outstanding Receive after about a minute of
  // inactivity; here the timer is shortened to 300 ms and the idle time to 6x that.
  test('a PowerShell session stays usable through a long idle period; a shell without a Receive is dropped', async () => {
    const clock = new ManualClock();
    ep = await startEndpoint({ idleDisconnectMs: 300, maxOperationTimeoutMs: 100, clock });
    const pool = await openSession(ep.url, { operationTimeoutMs: 100 });
    const bare = await openShell(ep.url); // WinRS: no Receive until a command runs
    // 1.8 s of idleness, swept every 75 ms: the pool's renewed Receive keeps its shell; the bare one goes.
    await renewPoolReceive(ep, clock, 100, 18);
    expect(ep.stats.idleDisconnects).toBe(1);
    expect(ep.shells().map((s) => s.shellId)).toEqual([pool.runspacePoolId.toUpperCase()]);
    expect((await pool.invoke('Write-Output alive').result()).output).toEqual(['alive']);
    await expect(bare.run('echo', ['x'])).rejects.toMatchObject({ code: 'PSR_WSMAN_FAULT', kind: 'ShellNotFound' });
    await pool.close();
  });
});

// The local endpoint as a test harness: quotas with Windows' faults, idle
// disconnect and expiry, fault injection, registered commands, counters,
// HTTPS and recording. Quota and harness faults are modelled on Windows'
// (no recording has them); the client side is psremote's public API.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { loadRecording } from '../../src/server/recording.js';
import { startReplayServer } from '../../src/server/replay.js';
import { connectSession, openSession } from '../../src/session/open.js';
import { openShell, runCommand } from '../../src/winrm/winrs.js';
import { basicAuth } from '../../src/transport/http/auth.js';
import { makePki, type Pki } from '../transport/http/pki.js';
import { ManualClock } from '../../src/util/clock.js';
import { until } from '../helpers/until.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});
const as = (user: string) => ({ auth: basicAuth(user, 'pw'), allowUnencrypted: true });

describe('quotas', () => {
  test('MaxShellsPerUser: the next Create is a QuotaLimit fault naming the limit; other users are not affected', async () => {
    ep = await startEndpoint({ users: { alice: 'pw', bob: 'pw' }, quotas: { maxShellsPerUser: 2 }, allowUnencrypted: true });
    const a1 = await openShell(ep.url, as('alice'));
    const a2 = await openShell(ep.url, as('alice'));
    const err = await openShell(ep.url, as('alice')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PSR_WSMAN_FAULT', kind: 'QuotaLimit' });
    expect((err as Error).message).toContain('maximum number of 2 concurrent shells');
    const b1 = await openShell(ep.url, as('bob'));
    expect(ep.shells().map((s) => s.owner).sort()).toEqual(['alice', 'alice', 'bob']);
    await a1.close();
    const a3 = await openShell(ep.url, as('alice')); // room again
    for (const s of [a2, a3, b1]) await s.close();
    expect(ep.stats.openShells).toBe(0);
  });

  test('commands per shell: past the quota of commands held at once a Command is fault 2150859174 (TooManyCommands)', async () => {
    ep = await startEndpoint({ quotas: { maxCommandsPerShell: 3 } });
    const shell = await openShell(ep.url);
    // Commands released one after another do not add up: a shell can run any number of them.
    let last;
    for (let i = 0; i < 5; i++) expect(await (last = await shell.run('echo', [String(i)])).exitCode).toBe(0);
    // The last one's Signal terminate goes out after its exit code is known.
    await last!.signalled;
    expect(ep.stats.commandsHeld).toBe(0);
    const running = [];
    for (let i = 0; i < 3; i++) running.push(await shell.run('sleep', ['30']));
    expect(ep.stats.commandsHeld).toBe(3);
    await expect(shell.run('echo', ['4'])).rejects.toMatchObject({ kind: 'TooManyCommands', wsmanCode: 2150859174 });
    // Signal terminate releases one: there is room again.
    await running[0]!.terminate();
    expect(ep.stats.commandsHeld).toBe(2);
    expect(await (await shell.run('echo', ['5'])).exitCode).toBe(0);
    await shell.close();
  });
});

describe('idle disconnect and expiry', () => {
  test('an idle PowerShell shell is disconnected, not dropped, and another client can connect to it', async () => {
    const clock = new ManualClock();
    ep = await startEndpoint({ idleDisconnectMs: 200, clock });
    const b = await openSession(ep.url, { networkRetryMs: 0, closeOnExit: false });
    // Stop b's Receives without telling the server, as a vanished client would.
    const shellId = b.runspacePoolId.toUpperCase();
    ep.faults.add({ operation: 'Receive', times: Infinity, action: { type: 'drop' } });
    await until(() => ep!.faults.fired.length > 0 && ep!.stats.pendingReceives === 0, 'the dropped Receive');
    // Swept every 50 ms: idle for 150 ms is not yet idle enough…
    await clock.advance(150);
    expect(ep.shells()).toEqual([expect.objectContaining({ shellId, state: 'Connected' })]);
    expect(ep.stats.idleDisconnects).toBe(0);
    // …past 200 ms it is disconnected (kept for a reconnect), not dropped.
    await clock.advance(100);
    expect(ep.shells()).toEqual([expect.objectContaining({ shellId, state: 'Disconnected' })]);
    expect(ep.stats.idleDisconnects).toBe(1);
    ep.faults.clear();
    const c = await connectSession(ep.url, shellId);
    expect(c.state).toBe('Opened');
    expect((await c.invoke('Write-Output again').result()).output).toEqual(['again']);
    await c.close();
    expect(ep.stats.openShells).toBe(0);
  });

  test('a Connect refused as in use is not activity: retried within the idle time, the vanished client\'s shell still disconnects', async () => {
    const clock = new ManualClock();
    ep = await startEndpoint({ idleDisconnectMs: 200, clock });
    const gone = await openSession(ep.url, { networkRetryMs: 0, closeOnExit: false });
    const shellId = gone.runspacePoolId.toUpperCase();
    ep.faults.add({ operation: 'Receive', times: Infinity, action: { type: 'drop' } });
    await until(() => ep!.faults.fired.length > 0 && ep!.stats.pendingReceives === 0, 'the dropped Receive');
    ep.faults.clear();
    // A successor tries every 100 ms, each time refused; counted as activity, the shell would never be idle for 200 ms.
    for (let i = 0; i < 3; i++) {
      await expect(connectSession(ep.url, shellId)).rejects.toMatchObject({ code: 'PSR_SESSION_IN_USE' });
      await clock.advance(100);
    }
    expect(ep.shells()).toEqual([expect.objectContaining({ shellId, state: 'Disconnected' })]);
    expect(ep.log.filter((l) => l.operation === 'Connect').map((l) => l.status)).toEqual([500, 500, 500]);
    const next = await connectSession(ep.url, shellId);
    expect(next.state).toBe('Opened');
    await next.close();
  });

  test('a disconnected shell expires after its IdleTimeOut; connecting then says the session is gone', async () => {
    const clock = new ManualClock();
    ep = await startEndpoint({ clock });
    const a = await openSession(ep.url, { closeOnExit: false });
    const shellId = a.runspacePoolId.toUpperCase();
    await a.disconnect({ idleTimeoutMs: 1_500 });
    expect(ep.shells()[0]?.state).toBe('Disconnected');
    // Swept every second: at 1 s it is still kept, at 2 s its 1.5 s are over.
    await clock.advance(1_000);
    expect(ep.stats.expired).toBe(0);
    expect(ep.shells()[0]?.state).toBe('Disconnected');
    await clock.advance(1_000);
    expect(ep.stats.expired).toBe(1);
    expect(ep.shells()).toEqual([]);
    const err = await connectSession(ep.url, shellId).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PSR_SESSION_NOT_FOUND' });
    expect((err as Error).message).toMatch(new RegExp(`the session ${shellId} on .* no longer exists: it expired \\(idle timeout\\) or was removed`));
    await expect(a.reconnect()).rejects.toMatchObject({ code: 'PSR_SESSION_NOT_FOUND' });
  });
});

describe('fault injection', () => {
  test('503 with an HTML body on Create reaches the client as an HTTP status error', async () => {
    ep = await startEndpoint();
    ep.faults.add({ operation: 'Create', action: { type: 'status', status: 503, body: '<html>Service Unavailable</html>' } });
    await expect(openShell(ep.url)).rejects.toMatchObject({ code: 'PSR_TRANSPORT_HTTP_STATUS', status: 503 });
    expect(ep.faults.fired).toEqual([{ operation: 'Create', action: 'status' }]);
    const shell = await openShell(ep.url); // only the first Create
    await shell.close();
  });

  test('the 2nd pool Receive dropped: the session retries it and nothing is lost', async () => {
    ep = await startEndpoint();
    ep.faults.add({ operation: 'Receive', nth: 2, action: { type: 'drop' } });
    const pool = await openSession(ep.url, { retryDelayMs: 20 });
    const events: string[] = [];
    pool.on('networkInterrupted', () => events.push('interrupted'));
    pool.on('networkResumed', () => events.push('resumed'));
    expect((await pool.invoke('Write-Output a b').result()).output).toEqual(['a', 'b']);
    expect(ep.faults.fired).toEqual([{ operation: 'Receive', action: 'drop' }]);
    expect(events[0]).toBe('interrupted');
    await pool.close();
  });

  test('a Command whose answer is lost (processed, then the connection dropped) fails that pipeline only', async () => {
    ep = await startEndpoint();
    const pool = await openSession(ep.url);
    ep.faults.add({ operation: 'Command', action: { type: 'dropAfter' } });
    await expect(pool.invoke('Write-Output lost').result()).rejects.toMatchObject({ code: 'PSR_TRANSPORT' });
    expect(ep.log.filter((l) => l.operation === 'Command').map((l) => l.status)).toEqual([200]);
    expect((await pool.invoke('Write-Output ok').result()).output).toEqual(['ok']);
    await pool.close();
  });

  test('killing a shell breaks the session with a clear "no longer exists" error', async () => {
    ep = await startEndpoint({ psCommands: { wait: async (ctx) => void (await new Promise((r) => ctx.signal.addEventListener('abort', r))) } });
    const pool = await openSession(ep.url, { closeOnExit: false });
    const inv = pool.invoke('wait');
    await inv.started;
    expect(ep.killShell(pool.runspacePoolId)).toBe(true);
    await expect(inv.result()).rejects.toMatchObject({ code: 'PSR_SESSION_NOT_FOUND' });
    expect(() => pool.invoke('Write-Output x')).toThrow(/no longer exists/);
    expect(ep.killShell(pool.runspacePoolId)).toBe(false);
  });
});

describe('registered commands, counters', () => {
  test('cmd and PowerShell commands registered by name; counters of requests and bytes', async () => {
    ep = await startEndpoint({
      cmdCommands: {
        upper: async (ctx) => {
          for await (const d of ctx.stdin) ctx.stdout(Buffer.from(d).toString().toUpperCase());
          ctx.stderr(`args=${ctx.args.join(',')}`);
          return 7;
        },
      },
      psCommands: { 'Get-Thing': (ctx) => ctx.output('thing') },
    });
    const r = await runCommand(ep.url, 'upper', ['a', 'b'], { stdin: 'hello', awaitClose: true });
    expect(r).toMatchObject({ stdout: 'HELLO', stderr: 'args=a,b', exitCode: 7 });
    expect(ep.stats.requests).toMatchObject({ Create: 1, Command: 1, Delete: 1 });
    const pool = await openSession(ep.url);
    expect((await pool.invoke('Get-Thing -Name x').result()).output).toEqual(['thing']);
    expect((await pool.invoke('Write-Output demo').result()).output).toEqual(['demo']); // the default handler still runs the rest
    await pool.close();
    expect(ep.stats.bytesIn).toBeGreaterThan(1000);
    expect(ep.stats.bytesOut).toBeGreaterThan(1000);
  });
});

describe('https and recording', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki.cleanup());

  test('serves https with the given certificate; a client trusting the CA runs a command', async () => {
    ep = await startEndpoint({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    expect(ep.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/wsman$/);
    const r = await runCommand(ep.url, 'echo', ['over tls'], { tls: { ca: pki.caCert } });
    expect(r.stdout.trim()).toBe('over tls');
    await expect(runCommand(ep.url, 'echo', ['x'])).rejects.toMatchObject({ code: 'PSR_TRANSPORT_TLS' });
  });

  test('--record writes every exchange, scrubbed, and the recording replays to the same answers', async () => {
    const file = join(tmpdir(), `psremote-rec-${process.pid}.jsonl`);
    try {
      ep = await startEndpoint({ recordPath: file, users: { alice: 'pw' }, allowUnencrypted: true });
      const r1 = await runCommand(ep.url, 'echo', ['recorded'], { ...as('alice'), awaitClose: true });
      await ep.close();
      ep = undefined;
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain('cHc'); // base64 of the password never appears
      const rec = loadRecording(file);
      // A WinRS command via runCommand: stdin ended (closeStdin), Receive until Done, then Delete (no Signal terminate: Delete releases the command).
      expect(rec.exchanges.map((x) => x.operation).join(' ')).toMatch(/^Create Command Send (Receive )+Delete$/);
      const replay = await startReplayServer({ recording: rec });
      try {
        const r2 = await runCommand(replay.url, 'echo', ['recorded']);
        expect(r2).toMatchObject({ stdout: r1.stdout, exitCode: r1.exitCode });
        expect(replay.unmatched).toEqual([]);
      } finally {
        await replay.close();
      }
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe('long polls on a keep-alive socket', () => {
  test('many Receive timeouts on one connection leave no listeners behind on its socket', async () => {
    const clock = new ManualClock();
    ep = await startEndpoint({ maxOperationTimeoutMs: 20, clock });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const pool = await openSession(ep.url, { operationTimeoutMs: 20 });
      const receives = () => ep!.stats.requests.Receive ?? 0;
      await until(() => ep!.stats.pendingReceives === 1, 'the pool Receive held');
      const first = receives();
      // 50 OperationTimeouts in a row: each held pool Receive is answered with the
      // timeout fault as the clock passes 20 ms, and the pool renews it at once.
      for (let i = 1; i <= 50; i++) {
        await clock.advance(20);
        await until(() => receives() === first + i && ep!.stats.pendingReceives === 1, `renewed Receive ${i}`);
      }
      expect(pool.state).toBe('Opened');
      expect((await pool.invoke('Write-Output renewed').result()).output).toEqual(['renewed']);
      await pool.close();
      expect(warnings.filter((w) => w === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('request size', () => {
  test('a body far over MaxEnvelopeSize is refused with 413 while it streams, not read whole', async () => {
    ep = await startEndpoint({ maxEnvelopeSizeKb: 4 });
    const { request } = await import('node:http');
    const url = new URL(ep.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/soap+xml' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      // 64 MiB offered in 64 KiB pieces; the server stops at 72 KiB.
      const piece = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 1024) {
          sent++;
          if (!req.write(piece)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(ep.log.at(-1)).toMatchObject({ operation: 'invalid', status: 413, reason: 'request body over 73728 bytes' });
    expect(ep.stats.bytesIn).toBeLessThan(1024 * 1024);
  });
});

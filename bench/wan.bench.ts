// The WAN profile: every latency case runs through a loopback TCP proxy that
// delays each chunk by half the round trip in each direction (1, 20 and 100 ms
// RTT), against the local endpoint, side by side with Debian's pywinrm for the
// WinRS cases. Reported per case: wall time (median of a few runs) and the
// WSMan requests, counted on the endpoint's log; for psremote also the ones on
// the critical path (answered before the call resolved). One more case, on the
// 20 ms profile only: 100 PowerShell sessions to one host one after another
// over NTLM, with and without reuse of authenticated connections, counting the
// 401 legs the endpoint sent (transport/http/connection-reuse.ts).
// WAN_CASES (winrs,powershell,reuse; default all) picks the cases.
import { spawnSync, spawn } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startEndpoint } from '../src/server/endpoint.js';
import { basicAuth } from '../src/transport/http/auth.js';
import { ntlmAuth } from '../src/transport/http/ntlm-auth.js';
import { closeIdleConnections } from '../src/transport/http/connection-reuse.js';
import { flushPendingCloses } from '../src/winrm/exit.js';
import { invokeCommand } from '../src/session/invoke.js';
import { openSession } from '../src/session/open.js';
import { openShell, runCommand } from '../src/winrm/winrs.js';

const RTTS = (process.env.WAN_RTTS ?? '1,20,100').split(',').map(Number);
const RUNS = Number(process.env.WAN_RUNS ?? 5);
const BIG = Number(process.env.WAN_BIG_MB ?? 50) * 1024 * 1024;
const CASES = new Set((process.env.WAN_CASES ?? 'winrs,powershell,reuse').split(','));
const SESSIONS = Number(process.env.WAN_SESSIONS ?? 100);

/** A loopback proxy delaying every chunk by `oneWayMs`, order kept per direction. */
async function delayProxy(targetPort: number, oneWayMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const pipe = (from: Socket, to: Socket) => {
    from.on('data', (d: Buffer) => {
      setTimeout(() => to.destroyed || to.write(d), oneWayMs);
    });
    from.on('end', () => setTimeout(() => to.end(), oneWayMs));
    from.on('error', () => to.destroy());
    from.on('close', () => setTimeout(() => to.destroy(), oneWayMs));
  };
  const server = createServer((c) => {
    const s = connect(targetPort, '127.0.0.1');
    sockets.add(c).add(s);
    c.on('close', () => sockets.delete(c));
    s.on('close', () => sockets.delete(s));
    pipe(c, s);
    pipe(s, c);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const ep = await startEndpoint({
  users: { alice: 'pw-1' },
  auth: ['basic', 'ntlm'],
  allowUnencrypted: true,
  quotas: { maxShellsPerUser: 1000 },
  cmdCommands: {
    greet: async (ctx) => (ctx.stdout('hi\r\n'), 0),
    big: async (ctx) => {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      for (let n = 0; n < BIG; n += chunk.length) ctx.stdout(chunk);
      return 0;
    },
  },
});
const epPort = Number(new URL(ep.url).port);
const WSMAN = new Set(['Create', 'Command', 'Receive', 'Send', 'Signal', 'Delete']);
const count = (from: number) => ep.log.slice(from).filter((l) => WSMAN.has(l.operation)).length;
const connection = { auth: basicAuth('alice', 'pw-1'), allowUnencrypted: true };

const pyOk = spawnSync('/usr/bin/python3', ['-c', 'import winrm'], { encoding: 'utf8' }).status === 0;
const PY = `
import os, sys, time, winrm
from winrm.protocol import Protocol
p = Protocol(os.environ['URL'], transport='basic', username='alice', password='pw-1')
case, runs = os.environ['CASE'], int(os.environ['RUNS'])
for _ in range(runs):
    t0 = time.perf_counter()
    if case == 'one':
        s = p.open_shell(); c = p.run_command(s, 'greet'); p.get_command_output(s, c); p.cleanup_command(s, c); p.close_shell(s)
    elif case == 'hundred':
        s = p.open_shell()
        for i in range(100):
            c = p.run_command(s, 'greet'); p.get_command_output(s, c); p.cleanup_command(s, c)
        p.close_shell(s)
    elif case == 'big':
        s = p.open_shell(); c = p.run_command(s, 'big'); out, err, code = p.get_command_output(s, c); assert len(out) == ${BIG}; p.cleanup_command(s, c); p.close_shell(s)
    print((time.perf_counter() - t0) * 1000, flush=True)
`;
function pywinrm(url: string, kase: string, runs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', PY], { env: { ...process.env, URL: url, CASE: kase, RUNS: String(runs) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n').map(Number)) : reject(new Error(`pywinrm exited ${code}`))));
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  rtt: number;
  task: string;
  ms: number;
  requests: number;
  critical?: number;
  pyMs?: number;
  pyRequests?: number;
}
const rows: Row[] = [];
const reuseRows: { reuse: boolean; ms: number; legs: number; requests: number }[] = [];

async function measure(fn: () => Promise<void>, runs: number): Promise<{ ms: number; requests: number; critical: number }> {
  const times: number[] = [];
  let requests = 0;
  let critical = 0;
  for (let i = 0; i < runs; i++) {
    const n = ep.log.length;
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    critical = count(n);
    await flushPendingCloses();
    requests = count(n);
  }
  return { ms: median(times), requests, critical };
}

async function pyCase(url: string, kase: string, runs: number): Promise<{ ms: number; requests: number } | undefined> {
  if (!pyOk) return undefined;
  const n = ep.log.length;
  const times = await pywinrm(url, kase, runs);
  return { ms: median(times), requests: count(n) / runs };
}

for (const rtt of RTTS) {
  const proxy = await delayProxy(epPort, rtt / 2);
  const url = `http://127.0.0.1:${proxy.port}/wsman`;
  const runs = rtt >= 100 ? Math.min(RUNS, 3) : RUNS;
  if (CASES.has('winrs')) {
    const m = await measure(async () => void (await runCommand({ endpoint: url, ...connection }, 'greet', [])), runs);
    const py = await pyCase(url, 'one', runs);
    rows.push({ rtt, task: 'WinRS: open + command + close (runCommand)', ...m, ...(py ? { pyMs: py.ms, pyRequests: py.requests } : {}) });
  }
  if (CASES.has('winrs')) {
    const m = await measure(async () => {
      const shell = await openShell({ endpoint: url, ...connection });
      for (let i = 0; i < 100; i++) {
        const c = await shell.run('greet', [], i === 99 ? { lastCommand: true } : {});
        await c.exitCode;
      }
      await shell.close();
    }, rtt >= 100 ? 1 : 2);
    const py = await pyCase(url, 'hundred', rtt >= 100 ? 1 : 2);
    rows.push({ rtt, task: 'WinRS: 100 commands on one shell', ...m, ...(py ? { pyMs: py.ms, pyRequests: py.requests } : {}) });
  }
  if (CASES.has('powershell')) {
    const m = await measure(async () => void (await invokeCommand({ endpoint: url, ...connection }, 'Write-Output 1')), runs);
    rows.push({ rtt, task: 'PowerShell: open + one command + close (invokeCommand)', ...m });
  }
  if (CASES.has('powershell')) {
    const pool = await openSession({ endpoint: url, ...connection });
    await pool.invoke('Write-Output 0').result();
    const m = await measure(async () => void (await pool.invoke('Write-Output 1').result()), runs);
    await pool.close();
    rows.push({ rtt, task: 'PowerShell: a command on an open pool', ...m });
  }
  if (CASES.has('reuse') && rtt === 20) {
    for (const reuse of [false, true]) {
      const n = ep.log.length;
      const t0 = performance.now();
      for (let i = 0; i < SESSIONS; i++) {
        // A new ntlmAuth per session, as separate callers build them: the identity is the key.
        const pool = await openSession(url, { auth: ntlmAuth({ username: 'alice', password: 'pw-1' }), reuseConnections: reuse });
        await pool.invoke('Write-Output 1').result();
        await pool.close();
      }
      const ms = performance.now() - t0;
      const legs = ep.log.slice(n).filter((l) => l.operation === 'auth' && l.status === 401).length;
      reuseRows.push({ reuse, ms, legs, requests: count(n) });
      await closeIdleConnections();
    }
  }
  if (CASES.has('winrs') && rtt === RTTS[0]) {
    const m = await measure(async () => {
      const r = await runCommand({ endpoint: url, ...connection }, 'big', []);
      if (r.stdoutBytes.length !== BIG) throw new Error(`got ${r.stdoutBytes.length} bytes`);
    }, 1);
    const py = await pyCase(url, 'big', 1);
    rows.push({ rtt, task: `WinRS: ${BIG / 1024 / 1024} MiB stdout`, ...m, ...(py ? { pyMs: py.ms, pyRequests: py.requests } : {}) });
  }
  await proxy.close();
}
await ep.close();

const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log(`WAN profile: ${RUNS} runs (median), pywinrm ${pyOk ? 'python3-winrm' : 'not installed (apt-get install python3-winrm)'}`);
console.log('| RTT | task | psremote | requests (critical path) | pywinrm | requests | pywinrm / psremote |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const py = r.pyMs !== undefined ? `${f(r.pyMs)} ms | ${r.pyRequests} | ${(r.pyMs / r.ms).toFixed(2)}×` : '– | – | –';
  console.log(`| ${r.rtt} ms | ${r.task} | ${f(r.ms)} ms | ${r.requests} (${r.critical}) | ${py} |`);
}
if (reuseRows.length > 0) {
  console.log(`\n${SESSIONS} PowerShell sessions to one host over NTLM, one after another (open + one command + close each), 20 ms RTT`);
  console.log('| connection reuse | wall time | per session | 401 legs | WSMan requests |');
  console.log('|---|---|---|---|---|');
  for (const r of reuseRows) console.log(`| ${r.reuse ? 'on (default)' : 'off'} | ${f(r.ms)} ms | ${f(r.ms / SESSIONS)} ms | ${r.legs} | ${r.requests} |`);
}

// The golden-trace scenarios, run by PowerShell's own client (the test host's
// --client-trace mode, test/peer/host/TraceClient.cs) and by psremote's
// OutOfProc carrier (unix: target), each against a fresh real server (the host's
// --socket mode) through the recording proxy. Both sides print a summary of what
// the scenario produced, so a recording of a scenario that went wrong is noticed.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { openSession, type SessionOptions } from '../../src/session/open.js';
import { toPlain } from '../../src/clixml/plain.js';
import type { InvocationResult } from '../../src/session/powershell.js';
import { startTraceProxy, type TraceLine } from './proxy.js';

export const SCENARIOS = ['open-close', 'output', 'streams', 'input', 'host-call', 'stop', 'pool-calls'] as const;
export type Scenario = (typeof SCENARIOS)[number];

// Must equal the scripts in TraceClient.cs.
const STREAMS =
  'Write-Output o; Write-Error e; Write-Warning w; Write-Verbose v -Verbose; Write-Debug d -Debug; ' +
  'Write-Information i; Write-Progress -Activity a -Status s';

const TIMEOUT_MS = 60_000;

export interface Recorded {
  readonly lines: TraceLine[];
  /** What the scenario produced: `output X`, one line per other record (kind only), `state S`. */
  readonly summary: string[];
}

/** A real server on a Unix socket (the host's --socket mode); ends when its stdin closes. */
async function startSocketServer(host: string, path: string): Promise<() => Promise<void>> {
  const child = spawn(host, ['--socket', path], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not listen in 30 s: ${out}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('LISTENING')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}): ${out}`));
    });
  });
  return async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
}

async function withProxy(host: string, dir: string, client: (proxyPath: string) => Promise<string[]>): Promise<Recorded> {
  const serverPath = join(dir, 'server.sock');
  const proxyPath = join(dir, 'proxy.sock');
  const stopServer = await startSocketServer(host, serverPath);
  const proxy = await startTraceProxy(proxyPath, serverPath);
  try {
    const ended = proxy.sessionEnded();
    const summary = await client(proxyPath);
    await withTimeout(ended, 'the client session did not end');
    return { lines: [...proxy.lines], summary };
  } finally {
    await proxy.close();
    await stopServer();
  }
}

/** PowerShell's own client: the test host in --client-trace mode. */
export function recordPowerShell(host: string, scenario: Scenario, dir: string): Promise<Recorded> {
  return withProxy(host, dir, (proxyPath) =>
    new Promise((resolve, reject) => {
      const child = spawn(host, ['--client-trace', '--socket', proxyPath, '--scenario', scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) reject(new Error(`PowerShell's client failed in ${scenario} (${signal ?? code}): ${stderr}${stdout}`));
        else resolve(stdout.trim().split('\n').filter(Boolean).map((l) => (/^(output|state|SetMaxRunspaces|GetAvailableRunspaces) /.test(l) ? l : l.split(' ')[0]!)));
      });
    }),
  );
}

/** psremote's client: openSession('unix:…') and the same calls. */
export function recordPsremote(host: string, scenario: Scenario, dir: string, options: SessionOptions = {}): Promise<Recorded> {
  return withProxy(host, dir, async (proxyPath) => {
    const pool = await openSession(`unix:${proxyPath}`, {
      ...options,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      closeOnExit: false,
      host: { call: (c) => (c.method === 'ReadLine' ? 'typed' : undefined) },
    });
    const summary: string[] = [];
    try {
      switch (scenario) {
        case 'open-close':
          break;
        case 'output':
          summary.push(...summarize(await pool.invoke('1..3 | ForEach-Object { $_ * 2 }').result()));
          break;
        case 'streams':
          summary.push(...summarize(await pool.invoke(STREAMS).result()));
          break;
        case 'input':
          summary.push(...summarize(await pool.invoke('$input | ForEach-Object { $_ + 1 }', { input: [1, 2, 3] }).result()));
          break;
        case 'host-call':
          summary.push(...summarize(await pool.invoke('$x = Read-Host; "got $x"').result()));
          break;
        case 'stop': {
          const inv = pool.invoke("'started'; Start-Sleep -Seconds 30; 'never'");
          const seen: unknown[] = [];
          for await (const x of inv) {
            seen.push(x);
            break;
          }
          await inv.stop();
          const r = await inv.result().catch(() => undefined);
          summary.push(`output ${seen.join(',')}`, `state ${r?.state ?? inv.state}`);
          break;
        }
        case 'pool-calls':
          summary.push(`SetMaxRunspaces ${(await pool.setMaxRunspaces(3)) ? 'True' : 'False'}`);
          summary.push(`GetAvailableRunspaces ${await pool.getAvailableRunspaces()}`);
          break;
      }
    } finally {
      await pool.close(AbortSignal.timeout(TIMEOUT_MS));
    }
    return summary;
  });
}

function summarize(r: InvocationResult): string[] {
  return [
    ...r.output.map((o) => `output ${String(toPlain(o))}`),
    ...r.error.map(() => 'error'),
    ...r.warning.map(() => 'warning'),
    ...r.verbose.map(() => 'verbose'),
    ...r.debug.map(() => 'debug'),
    ...r.information.map(() => 'information'),
    ...r.progress.map(() => 'progress'),
    `state ${r.state}`,
  ];
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} in ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

// The processes of a fleet test: `psremote serve` endpoints (each in its own
// directory, where the test script's Add-Content lands) and `psremote worker`s,
// started from dist/ and killed by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli/main.js');
export const FLEET_USER = 'fleet';
export const FLEET_PASSWORD = 'fleet-secret-7';

export interface Proc {
  readonly child: ChildProcess;
  readonly dir: string;
  stdout: string;
  stderr: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function start(args: string[], dir: string, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = {
    child,
    dir,
    stdout: '',
    stderr: '',
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
  child.stdout!.on('data', (d: Buffer) => (p.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (p.stderr += d.toString()));
  return p;
}

async function until(p: Proc, re: RegExp, what: string): Promise<RegExpExecArray> {
  for (let i = 0; i < 1200; i++) {
    const m = re.exec(p.stdout);
    if (m) return m;
    if (p.child.exitCode !== null) throw new Error(`${what} exited ${p.child.exitCode}: ${p.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not start: ${p.stderr}`);
}

/**
 * A `psremote serve` with one user (Basic), shells disconnected after 5 s without a Receive:
 * a worker taking over a SIGKILLed worker's jobs finds their shells still in use for up to
 * that long and retries its Connect until the host lets go (the worker's --connect-wait is
 * 60 s); a worker starved between its open and its Command for over 5 s finds its shell
 * Disconnected and connects to it again (run-job.ts).
 */
export async function startHost(): Promise<Proc & { url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'psremote-fleet-host-'));
  writeFileSync(join(dir, 'users'), `${FLEET_USER}:${FLEET_PASSWORD}\n`, { mode: 0o600 });
  const p = start(['serve', '--port', '0', '--users', 'users', '--allow-unencrypted', '--idle-disconnect', '5', '--max-shells-per-user', '500'], dir);
  const m = await until(p, /listening on (\S+)/, 'psremote serve');
  return Object.assign(p, { url: m[1]! });
}

/** A `psremote worker`; its credential comes from its environment (FLEET_PW), never from the queue. */
export async function startWorker(redisUrl: string, queueName: string, name: string, concurrency: number, lockSeconds = 30): Promise<Proc> {
  const dir = mkdtempSync(join(tmpdir(), 'psremote-fleet-worker-'));
  const p = start(
    ['worker', '--queue', redisUrl, '--queue-name', queueName, '--name', name, '--concurrency', String(concurrency), '--lock-duration', String(lockSeconds), '--connect-wait', '60', '--user', FLEET_USER, '--password-env', 'FLEET_PW', '--insecure-allow-unencrypted'],
    dir,
    { FLEET_PW: FLEET_PASSWORD },
  );
  await until(p, /^worker \S+ on queue/m, `worker ${name}`);
  return p;
}

export { CLI };

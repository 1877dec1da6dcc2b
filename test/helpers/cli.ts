// Running `psremote` in tests, as users run it: the built package in a child
// process (spawnCli, startServe), or the program in this process with captured
// streams (runInProcess). A child that does not end in time is SIGKILLed and
// the promise rejects, so a hang fails the test instead of stalling the suite.

import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/main.js';

/** The built CLI (`npm run build`; npm test builds first). */
export const CLI = 'dist/cli/main.js';

export interface CliRun {
  /** The exit code; -1 when the process ended on a signal. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Killed and rejected after this long (default 30 s). */
  timeoutMs?: number;
}

/** One `psremote ARGS` process; rejects (after SIGKILL) if it has not ended within the timeout. */
export function spawnCli(args: readonly string[], options: SpawnOptions = {}): Promise<CliRun> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`psremote ${args.join(' ')} did not end in ${timeoutMs / 1000} s; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

export interface Serve {
  /** The endpoint's URL, from its "listening on" line. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything serve printed so far (stdout and stderr). */
  output(): string;
  /** What it wrote on stderr alone. */
  stderr(): string;
  /** SIGKILL, not waited for. */
  stop(): void;
  /** SIGTERM, waited for, then what it printed on each stream (a replay's summary is on stdout). */
  terminate(): Promise<{ stdout: string; stderr: string }>;
}

/**
 * `psremote serve ARGS` in a child process, resolved once it prints `listening
 * on URL` followed by one more line (the engine or the replay summary).
 */
export function startServe(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Serve> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start in ${timeoutMs / 1000} s: ${out}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}): ${out}`));
    };
    child.on('exit', onExit);
    const terminate = async (): Promise<{ stdout: string; stderr: string }> => {
      if (child.exitCode === null && child.signalCode === null) {
        const closed = new Promise((r) => child.once('close', r));
        child.kill('SIGTERM');
        await closed;
      }
      return { stdout, stderr };
    };
    let ready = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
      const m = ready ? null : /listening on (\S+)\n.*\n/.exec(out);
      if (!m) return;
      ready = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ url: m[1]!, child, output: () => out, stderr: () => stderr, stop: () => void child.kill('SIGKILL'), terminate });
    });
  });
}

/** `psremote ARGS` in this process (main.ts's run) with captured output; stdin gives `input`, then ends (empty without it). */
export async function runInProcess(args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const stdin = new PassThrough();
  if (input !== undefined) stdin.end(input);
  const code = await run(args, { stdout, stderr, stdin });
  // run() leaves the code a command set; the next in-process run must not inherit it.
  process.exitCode = undefined;
  return { code, stdout: out, stderr: err };
}

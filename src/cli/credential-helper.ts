// A credential helper as git has them (gitcredentials(7)): a command the user
// configures for a host (`"credentialHelper": "pass-psremote"` in config.json);
// psremote runs it through /bin/sh with the argument `get`, writes what it
// knows on its stdin (`protocol=`, `host=`, `port=`, `path=`, `username=`, a
// blank line) and reads `password=` (and `username=`, if it has one) from its
// stdout. The helper's stderr goes to ours, so it can say what went wrong or
// prompt on the terminal. What it prints is never shown, logged or put in an
// error; a helper that fails, prints no password or does not finish in time is
// a usage error naming the helper (its first word) and what went wrong.

import { spawn } from 'node:child_process';
import { UsageError } from '../errors.js';

export interface CredentialRequest {
  /** The endpoint URL or host the credential is for. */
  readonly target: string;
  readonly username?: string | undefined;
}

export interface Credential {
  readonly password: string;
  readonly username?: string;
}

/** The helper's input for `target` (git's key=value lines and a blank line). */
export function helperInput(req: CredentialRequest): string {
  const lines: string[] = [];
  try {
    const u = new URL(/^[a-z][\w+.-]*:\/\//i.test(req.target) ? req.target : `http://${req.target}`);
    lines.push(`protocol=${u.protocol.replace(/:$/, '')}`, `host=${u.hostname}`);
    if (u.port) lines.push(`port=${u.port}`);
    if (u.pathname && u.pathname !== '/') lines.push(`path=${u.pathname.replace(/^\//, '')}`);
  } catch {
    lines.push(`host=${req.target}`);
  }
  if (req.username) lines.push(`username=${req.username}`);
  return `${lines.map((l) => l.replace(/[\r\n\0]/g, '')).join('\n')}\n\n`;
}

/** Reads git's key=value output; only the first `password=` and `username=` count. */
export function parseHelperOutput(out: string): { password?: string; username?: string } {
  const r: { password?: string; username?: string } = {};
  for (const line of out.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === 'password' && r.password === undefined) r.password = v;
    if (k === 'username' && r.username === undefined) r.username = v;
  }
  return r;
}

const MAX_OUTPUT = 64 * 1024;

/** Runs `command get` and returns the credential it printed. */
export async function runCredentialHelper(command: string, req: CredentialRequest, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Credential> {
  const name = command.trim().split(/\s+/)[0] ?? command;
  const what = `credential helper "${name}"`;
  const child = spawn('/bin/sh', ['-c', `${command} "$@"`, 'psremote-credential-helper', 'get'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let out = '';
  let tooLong = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    if (out.length + d.length > MAX_OUTPUT) {
      tooLong = true;
      child.kill('SIGKILL');
    } else out += d;
  });
  // A helper that does not read its stdin must not fail us with EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(helperInput(req));
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new UsageError(`${what} could not be started: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    child.on('close', (c) => resolve(c));
  }).finally(() => clearTimeout(timer));
  if (timedOut) throw new UsageError(`${what} did not finish in ${Math.round(timeoutMs / 1000)} s`);
  if (tooLong) throw new UsageError(`${what} printed more than ${MAX_OUTPUT} bytes`);
  if (code !== 0) throw new UsageError(`${what} exited with ${code ?? 'a signal'}`);
  const parsed = parseHelperOutput(out);
  if (parsed.password === undefined) throw new UsageError(`${what} printed no password= line`);
  return { password: parsed.password, ...(parsed.username ? { username: parsed.username } : {}) };
}

// WinRS commands of the local endpoint and the output boxes Receive drains:
// a command runs through the local shell (playing cmd.exe's part) or, when
// registered by name, as an in-process handler.
//
// An outbox holds at most about `limit` bytes: past it the producer is paused
// (onFull: the child's stdout and stderr, or a PowerShell engine's reading),
// and resumed when a Receive takes it below (onRoom). The pipe to the child
// then fills and the child blocks, as it would on a slow terminal; nothing is
// queued without bound for a client that does not Receive.

import { spawn, type ChildProcess } from 'node:child_process';
import type { OutStream } from './responses.js';

/** A WinRS command run in-process: write output, read stdin, return the exit code. */
export type CmdHandler = (ctx: {
  readonly commandLine: string;
  readonly args: readonly string[];
  readonly stdin: AsyncIterable<Uint8Array>;
  stdout(data: string | Uint8Array): void;
  stderr(data: string | Uint8Array): void;
  readonly signal: AbortSignal;
}) => number | Promise<number>;

export interface Outbox {
  readonly chunks: OutStream[];
  waiters: (() => void)[];
  done: boolean;
  exitCode?: number;
  /** Bytes in `chunks`, and the most held before the producer is paused. */
  bytes: number;
  readonly limit: number;
  onFull?: () => void;
  onRoom?: () => void;
}

/** Default Outbox limit: 4 MiB per command (and per shell's own output). */
export const DEFAULT_OUTPUT_BUFFER_BYTES = 4 * 1024 * 1024;

export interface CommandState {
  readonly id: string;
  readonly out: Outbox;
  child?: ChildProcess;
  /** In-process cmd handlers: stop signal and stdin. */
  abort?: AbortController;
  stdin?: { push(d: Uint8Array): void; end(): void };
}

export const newOutbox = (limit = DEFAULT_OUTPUT_BUFFER_BYTES): Outbox => ({ chunks: [], waiters: [], done: false, bytes: 0, limit });

/** Queues output for Receive; pauses the producer once the outbox holds its limit. */
export function pushOut(o: Outbox, chunk: OutStream): void {
  o.chunks.push(chunk);
  o.bytes += chunk.data.length;
  if (o.bytes >= o.limit) o.onFull?.();
  wake(o);
}

/** Takes the oldest chunk for a Receive; resumes the producer once there is room. */
export function takeOut(o: Outbox): OutStream {
  const c = o.chunks.shift()!;
  o.bytes -= c.data.length;
  if (o.bytes < o.limit) o.onRoom?.();
  return c;
}

/**
 * The first `n` bytes of the oldest chunk for a Receive, the rest left first in
 * line: a cmd command's stdout is a byte stream, so an answer can be filled to
 * its limit instead of stopping before a pipe-sized piece that does not fit.
 */
export function takeOutPart(o: Outbox, n: number): OutStream {
  const c = o.chunks[0]!;
  if (n >= c.data.length) return takeOut(o);
  o.chunks[0] = { ...c, data: c.data.subarray(n) };
  o.bytes -= n;
  if (o.bytes < o.limit) o.onRoom?.();
  return { ...c, data: c.data.subarray(0, n) };
}

/** Drops what is queued (Connect from a new client: it belonged to the previous one). */
export function clearOut(o: Outbox): OutStream[] {
  const taken = o.chunks.splice(0);
  o.bytes = 0;
  o.onRoom?.();
  return taken;
}
export function wake(o: Outbox): void {
  const w = o.waiters;
  o.waiters = [];
  for (const f of w) f();
}

/** The variable that tells a shell whose credentials CredSSP delegated (set by the endpoint only). */
export const DELEGATED_USER_VARIABLE = 'PSREMOTE_DELEGATED_USER';

/**
 * The environment a shell's processes (cmd commands, the real PowerShell
 * engine) start with: the endpoint's own, without a PSREMOTE_DELEGATED_USER
 * it may have inherited (a shell without delegation must not claim one),
 * then the shell's variables (where the endpoint put the delegated user).
 */
export function shellProcessEnv(vars: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const { [DELEGATED_USER_VARIABLE]: _inherited, ...own } = process.env;
  return { ...own, ...vars };
}

export function runProcess(cmd: CommandState, commandLine: string, cwd: string | undefined, env: Record<string, string> | undefined): void {
  // WinRS runs `cmd.exe /c <line>`; here the local shell plays cmd's part.
  const child = spawn('/bin/sh', ['-c', commandLine], {
    cwd: cwd && cwd !== '' ? cwd : undefined,
    env: shellProcessEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  cmd.child = child;
  cmd.out.onFull = () => {
    child.stdout.pause();
    child.stderr.pause();
  };
  cmd.out.onRoom = () => {
    child.stdout.resume();
    child.stderr.resume();
  };
  const push = (name: string) => (d: Buffer) => pushOut(cmd.out, { name, commandId: cmd.id, data: d });
  child.stdout.on('data', push('stdout'));
  child.stderr.on('data', push('stderr'));
  child.stdin.on('error', () => undefined);
  child.on('error', (e) => {
    pushOut(cmd.out, { name: 'stderr', commandId: cmd.id, data: Buffer.from(`${e.message}\n`) });
    cmd.out.done = true;
    cmd.out.exitCode = 1;
    wake(cmd.out);
  });
  child.on('close', (code, sig) => {
    cmd.out.done = true;
    cmd.out.exitCode = code ?? (sig ? 128 : 1);
    wake(cmd.out);
  });
}

export function runHandler(cmd: CommandState, h: CmdHandler, text: string, args: string[]): void {
  const abort = new AbortController();
  const input: Uint8Array[] = [];
  let inputEnded = false;
  let inputWaiter: (() => void) | undefined;
  cmd.abort = abort;
  cmd.stdin = {
    push: (d) => {
      input.push(d);
      inputWaiter?.();
    },
    end: () => {
      inputEnded = true;
      inputWaiter?.();
    },
  };
  async function* stdin(): AsyncIterable<Uint8Array> {
    for (;;) {
      if (input.length > 0) yield input.shift()!;
      else if (inputEnded || abort.signal.aborted) return;
      else await new Promise<void>((r) => (inputWaiter = r));
    }
  }
  // In-process handlers are the harness's own code, not the client's: their writes are not paused.
  const push = (name: string) => (d: string | Uint8Array) => pushOut(cmd.out, { name, commandId: cmd.id, data: typeof d === 'string' ? Buffer.from(d) : d });
  const finish = (code: number) => {
    cmd.out.done = true;
    cmd.out.exitCode = code;
    wake(cmd.out);
  };
  Promise.resolve()
    .then(() => h({ commandLine: [text, ...args].join(' '), args, stdin: stdin(), stdout: push('stdout'), stderr: push('stderr'), signal: abort.signal }))
    .then(
      (code) => finish(code),
      (e: unknown) => {
        push('stderr')(`${(e as Error)?.message ?? String(e)}\n`);
        finish(1);
      },
    );
}


// WinRS commands of the local endpoint and the output boxes Receive drains:
// a command runs through the local shell (playing cmd.exe's part) or, when
// registered by name, as an in-process handler.

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
}

export interface CommandState {
  readonly id: string;
  readonly out: Outbox;
  child?: ChildProcess;
  /** In-process cmd handlers: stop signal and stdin. */
  abort?: AbortController;
  stdin?: { push(d: Uint8Array): void; end(): void };
}

export const newOutbox = (): Outbox => ({ chunks: [], waiters: [], done: false });

export function wake(o: Outbox): void {
  const w = o.waiters;
  o.waiters = [];
  for (const f of w) f();
}

export function runProcess(cmd: CommandState, commandLine: string, cwd: string | undefined, env: Record<string, string> | undefined): void {
  // WinRS runs `cmd.exe /c <line>`; here the local shell plays cmd's part.
  const child = spawn('/bin/sh', ['-c', commandLine], {
    cwd: cwd && cwd !== '' ? cwd : undefined,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  cmd.child = child;
  const push = (name: string) => (d: Buffer) => {
    cmd.out.chunks.push({ name, commandId: cmd.id, data: d });
    wake(cmd.out);
  };
  child.stdout.on('data', push('stdout'));
  child.stderr.on('data', push('stderr'));
  child.stdin.on('error', () => undefined);
  child.on('error', (e) => {
    cmd.out.chunks.push({ name: 'stderr', commandId: cmd.id, data: Buffer.from(`${e.message}\n`) });
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
  const push = (name: string) => (d: string | Uint8Array) => {
    cmd.out.chunks.push({ name, commandId: cmd.id, data: typeof d === 'string' ? Buffer.from(d) : d });
    wake(cmd.out);
  };
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


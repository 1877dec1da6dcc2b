// Where OutOfProc lines travel: a PSRP server process's stdin/stdout (`pwsh -s`,
// the test peer, any `exec:` command line) or a Unix socket (PowerShell's
// named-pipe server, `pwsh -CustomPipeName`). A connection knows how its peer
// ends: a process that exits (with the tail of its stderr as the reason), or a
// socket that closes.

import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { AbortError, UsageError } from '../../errors.js';
import { OutOfProcTransportError, type OutOfProcErrorDetails } from './errors.js';

export interface OutOfProcConnection {
  /** `exec:<command line>` or `unix:<path>`, for messages. */
  readonly peer: string;
  /** Lines from the server. */
  readonly input: Readable;
  /** Lines to the server. */
  readonly output: Writable;
  /** Settles once the peer has gone: the process exited, or the socket closed. */
  readonly ended: Promise<OutOfProcErrorDetails>;
  /** The last of what the server wrote to stderr (processes only). */
  stderrTail(): string;
  /** Ends our side (stdin EOF / socket end), waits up to `graceMs` for the peer to go, then kills it. */
  shutdown(graceMs?: number): Promise<void>;
}

const STDERR_KEEP = 8 * 1024;

export interface SpawnOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Starts a PSRP server process; `command` is a command line (see splitCommandLine) or argv. */
export function spawnServer(command: string | readonly string[], options: SpawnOptions = {}): OutOfProcConnection {
  const argv = typeof command === 'string' ? splitCommandLine(command) : [...command];
  if (argv.length === 0 || !argv[0]) throw new UsageError('exec: needs a command line');
  const peer = `exec:${typeof command === 'string' ? command : argv.join(' ')}`;
  const child: ChildProcess = spawn(argv[0], argv.slice(1), {
    stdio: ['pipe', 'pipe', 'pipe'],
    // A session of its own, without our controlling terminal: a native program the
    // session runs that opens /dev/tty (read < /dev/tty, ssh or sudo asking for a
    // password) gets ENXIO and ends, as a remote program finds no console on
    // Windows, instead of reading the keys of the terminal psremote shell holds in
    // raw mode (it waited for a newline raw mode never sends). Its stdin is the
    // protocol pipe, which pwsh does not hand to native programs (they read EOF).
    detached: process.platform !== 'win32',
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    windowsHide: true,
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-STDERR_KEEP);
  });
  // Writes to a process that died fail with EPIPE; `ended` reports the death.
  child.stdin!.on('error', () => undefined);
  const ended = new Promise<OutOfProcErrorDetails>((resolve) => {
    let spawnError: Error | undefined;
    child.once('error', (e) => {
      spawnError = e;
      // A process that never started emits no 'close'.
      if (child.pid === undefined) resolve({ peer, exitCode: null, signal: null, stderr: `could not start ${argv[0]}: ${e.message}` });
    });
    // 'close' comes after stdout and stderr ended, so the stderr tail is complete.
    child.once('close', (code, sig) => resolve({ peer, exitCode: code, signal: sig, stderr: stderr || spawnError?.message }));
  });
  return {
    peer,
    input: child.stdout!,
    output: child.stdin!,
    ended,
    stderrTail: () => stderr,
    shutdown: async (graceMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.stdin!.end();
      if (await settlesWithin(ended, graceMs)) return;
      child.kill('SIGKILL');
      await ended;
    },
  };
}

/** Connects to a PSRP server listening on a Unix socket (or a Windows named pipe path). */
export async function connectSocket(path: string, signal?: AbortSignal): Promise<OutOfProcConnection> {
  const peer = `unix:${path}`;
  if (signal?.aborted) throw new AbortError(`connecting to ${peer} was aborted`);
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect({ path });
    const onAbort = () => {
      s.destroy();
      reject(new AbortError(`connecting to ${peer} was aborted`));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    s.once('connect', () => {
      signal?.removeEventListener('abort', onAbort);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new OutOfProcTransportError('PSR_OUTOFPROC_TRANSPORT', `cannot connect: ${e.message}`, { peer }, e));
    });
  });
  let lastError: Error | undefined;
  socket.on('error', (e) => (lastError = e));
  const ended = new Promise<OutOfProcErrorDetails>((resolve) =>
    socket.once('close', () => resolve({ peer, ...(lastError ? { stderr: lastError.message } : {}) })),
  );
  return {
    peer,
    input: socket,
    output: socket,
    ended,
    stderrTail: () => '',
    shutdown: async (graceMs = 5000) => {
      if (socket.destroyed) return;
      socket.end();
      if (!(await settlesWithin(ended, graceMs))) socket.destroy();
    },
  };
}

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Splits a command line into argv the way a POSIX shell does for words, with no
 * expansion: whitespace separates, '…' is literal, "…" allows \" \\ \$ \`, and a
 * backslash outside quotes escapes the next character. No shell runs, so the
 * process we start is the server itself (and is the one we stop).
 */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`unterminated ' in command line: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; ; i++) {
        if (i >= line.length) throw new UsageError(`unterminated " in command line: ${line}`);
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
        else word += d;
      }
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new UsageError(`command line ends in a backslash: ${line}`);
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}

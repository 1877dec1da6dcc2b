// The public cmd-shell (WinRS) API: open a shell, run commands on it with
// output streaming while they run, feed stdin, interrupt, close. Each command
// has its own Receive loop (MS-WSMV 3.1.4.14): a timed-out Receive is renewed,
// and after CommandState/Done the command is ended with Signal terminate, sent
// off the caller's critical path (exitCode does not wait for it) and not at all
// when the shell is deleted right after (Delete releases its commands). The
// transport keeps a pinned connection per concurrent request, so Sends and
// Signals go out while a Receive long-poll is outstanding. Which request may go
// when (and what an answer means) is the shell core's (wsman/client-shell.ts);
// this file adds the I/O, the streams, the retry policy and the caller's API.

import { AbortError, InvalidStateError, RemoteProtocolError, UsageError } from '../errors.js';
import { eventOf, RESOURCE, SIGNAL, WSManFaultError, winrsCreateOptions, type ClientShell, type ClientShellEvent, type ShellInfo, type WSManOption } from '../wsman/index.js';
import { ByteStream } from './byte-stream.js';
import { resolveTarget, type Target } from './target.js';
import type { OpenShellOptions, RunOptions, StdinSource } from './winrs-options.js';
import type { WSManClient } from './wsman-client.js';
import { Backoff, isNetworkError, NetworkOutage, retryPause } from './network-retry.js';
import { systemClock, type Clock } from '../util/clock.js';
import { closeInBackground } from './exit.js';

export type { OpenShellOptions, RunOptions, StdinSource } from './winrs-options.js';

const CMD = RESOURCE.cmdShell;

/** Opens a cmd shell (WS-Transfer Create of the cmd resource). */
export async function openShell(target: Target, options: OpenShellOptions = {}): Promise<WinRSShell> {
  const { client, owned } = resolveTarget(target, options);
  try {
    const core = client.shellCore(CMD);
    const events = await client.shellRequest(
      core,
      core.create(
        {
          ...(options.workingDirectory !== undefined ? { workingDirectory: options.workingDirectory } : {}),
          ...(options.environment ? { environment: options.environment } : {}),
          ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
          ...(options.lifetimeMs !== undefined ? { lifetimeMs: options.lifetimeMs } : {}),
        },
        winrsCreateOptions({
          codepage: options.codepage ?? 65001,
          ...(options.noProfile ? { noProfile: true } : {}),
          ...(options.skipCmdShell ? { skipCmdShell: true } : {}),
        }),
      ),
      { signal: options.signal },
    );
    const info = eventOf(events, 'Created').shell;
    if (!info.shellId) throw new RemoteProtocolError('PSR_WSMAN_INVALID', 'the server created a shell without a ShellId', { where: 'CreateResponse' });
    const retry = { networkRetryMs: options.networkRetryMs ?? 240_000, retryDelayMs: options.retryDelayMs ?? 500, clock: options.clock ?? systemClock };
    return new WinRSShell(client, info, owned, retry, core);
  } catch (e) {
    if (owned) await client.close().catch(() => {});
    throw e;
  }
}

/** How a command's Receive is retried while the network is down (OpenShellOptions). */
export interface WinRSRetry {
  readonly networkRetryMs: number;
  readonly retryDelayMs: number;
  readonly clock: Clock;
}

export class WinRSShell {
  readonly client: WSManClient;
  readonly info: ShellInfo;
  /** @internal The protocol state of the shell and its commands. */
  readonly core: ClientShell;
  readonly #owned: boolean;
  readonly #commands = new Set<WinRSCommand>();
  /** Signal terminate of finished commands still in flight. */
  readonly #signals = new Set<Promise<void>>();
  #state: 'open' | 'closing' | 'closed' = 'open';
  /** Receive retry window of this shell's commands, and the clock it is measured on. */
  readonly retry: WinRSRetry;

  constructor(
    client: WSManClient,
    info: ShellInfo,
    owned: boolean,
    retry: WinRSRetry = { networkRetryMs: 240_000, retryDelayMs: 500, clock: systemClock },
    core: ClientShell = client.shellCore(CMD, { shellId: info.shellId, created: true }),
  ) {
    this.client = client;
    this.info = info;
    this.core = core;
    this.#owned = owned;
    this.retry = retry;
  }

  get shellId(): string {
    return this.info.shellId;
  }
  get closed(): boolean {
    return this.#state !== 'open';
  }

  /** What the shell holds: commands started and not followed to their end yet (their exit code not settled). */
  stats(): { readonly commands: number } {
    return { commands: this.#commands.size };
  }

  /** Starts a command; resolves once the server accepted it (output then streams). */
  async run(command: string, args: readonly string[] = [], options: RunOptions = {}): Promise<WinRSCommand> {
    if (this.#state !== 'open') throw new InvalidStateError('run a command', this.#state, ['open']);
    if (!command) throw new UsageError('no command given');
    if (options.signal?.aborted) throw new AbortError(`the command ${command} was aborted before it started`, { cause: options.signal.reason });
    // A finished command's Signal terminate still in flight holds its connection:
    // waiting for it (it started when Done arrived) beats opening, and on NTLM
    // authenticating, another connection for this Command.
    if (this.#signals.size > 0) await Promise.allSettled([...this.#signals]);
    const opts: WSManOption[] = [{ name: 'WINRS_CONSOLEMODE_STDIN', value: options.consoleModeStdin ? 'TRUE' : 'FALSE' }];
    if (options.skipCmdShell) opts.push({ name: 'WINRS_SKIP_CMD_SHELL', value: 'TRUE' });
    const events = await this.client.shellRequest(this.core, this.core.startCommand({ command, args }, opts), { signal: options.signal });
    const commandId = eventOf(events, 'CommandStarted').commandId;
    if (options.stdin === undefined && options.closeStdin) await this.#endStdin(commandId, options.signal);
    const cmd = new WinRSCommand(this, commandId, options);
    this.#commands.add(cmd);
    void cmd.exitCode.finally(() => this.#commands.delete(cmd)).catch(() => {});
    return cmd;
  }

  /**
   * closeStdin: an empty Send with End before the first Receive. A command that
   * exited already is refused a Send by Windows (a fault): its stdin is as closed as
   * it gets, so that fault is not the command's failure. Other errors are.
   */
  async #endStdin(commandId: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.client.shellRequest(this.core, this.core.send(commandId, [{ name: 'stdin', data: new Uint8Array(0), end: true }]), { signal });
    } catch (e) {
      if (!(e instanceof WSManFaultError)) throw e;
    }
  }

  /** Ends running commands' loops and deletes the shell. Idempotent. */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    try {
      for (const c of this.#commands) c.abandon(new AbortError('the shell was closed'));
      // Tracked by the client (synchronously): closing a shared client right
      // after runCommand returned waits for the Delete sent in the background.
      // A Signal still in flight goes first, on its connection, rather than a new one.
      const signals = [...this.#signals];
      const deleting = signals.length > 0 ? Promise.allSettled(signals).then(() => this.#delete()) : this.#delete();
      this.client.track(deleting);
      await deleting;
    } finally {
      this.#state = 'closed';
      if (this.#owned) await this.client.close().catch(() => {});
    }
  }

  async #delete(): Promise<void> {
    // Delete is idempotent: a transport failure is tried once more.
    for (let attempt = 1; ; attempt++) {
      try {
        // Already gone (idle timeout, server restart, a first try whose answer was lost) is Deleted to the core.
        await this.client.shellRequest(this.core, this.core.delete());
        return;
      } catch (e) {
        if (e instanceof WSManFaultError || attempt >= 2) throw e;
      }
    }
  }

  /** @internal A finished command's Signal terminate, in flight. */
  signalInFlight(p: Promise<void>): void {
    this.#signals.add(p);
    void p.finally(() => this.#signals.delete(p));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

export class WinRSCommand {
  readonly shell: WinRSShell;
  readonly commandId: string;
  readonly stdout = new ByteStream();
  readonly stderr = new ByteStream();
  /** Resolves with the remote exit code; rejects if the command could not be followed to its end. */
  readonly exitCode: Promise<number>;
  readonly #loopAbort = new AbortController();
  #done = false;
  #terminated = false;
  #abandonReason: unknown;
  readonly #options: RunOptions;
  #signalDone: (() => void) | undefined;
  /** Settles when the Signal terminate after Done was answered (or was not needed). */
  readonly signalled: Promise<void>;

  constructor(shell: WinRSShell, commandId: string, options: RunOptions) {
    this.shell = shell;
    this.commandId = commandId;
    const onAbort = () => void this.terminate().catch(() => {});
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.#options = options;
    this.signalled = new Promise<void>((r) => (this.#signalDone = r));
    this.exitCode = this.#receiveLoop().finally(() => options.signal?.removeEventListener('abort', onAbort));
    // Callers that only iterate output must not see an unhandled rejection.
    this.exitCode.catch(() => {});
    if (options.stdin !== undefined) {
      this.#pumpStdin(options.stdin).catch((e: unknown) => this.abandon(e));
    }
  }

  get client(): WSManClient {
    return this.shell.client;
  }
  get #core(): ClientShell {
    return this.shell.core;
  }
  get done(): boolean {
    return this.#done;
  }

  wait(): Promise<number> {
    return this.exitCode;
  }

  async #receiveLoop(): Promise<number> {
    const client = this.client;
    const signal = this.#loopAbort.signal;
    let exit: number | undefined;
    const { networkRetryMs, retryDelayMs, clock } = this.shell.retry;
    // The SequenceId moves on only with an answer: a Receive sent again after a network failure keeps its number.
    let sequenceId = 0;
    const outage = new NetworkOutage(networkRetryMs, clock);
    const backoff = new Backoff(retryDelayMs);
    try {
      for (;;) {
        await Promise.all([this.stdout.drained(), this.stderr.drained()]);
        if (signal.aborted) throw this.#abandonReason ?? new AbortError('the command was abandoned');
        let events: ClientShellEvent[];
        try {
          events = await client.shellRequest(this.#core, this.#core.receive(this.commandId, { streams: 'stdout stderr', keepAlive: false, sequenceId }), { signal });
        } catch (e) {
          if (signal.aborted || !isNetworkError(e)) throw e;
          const verdict = outage.failed();
          if (verdict === 'off' || verdict === 'over') throw e;
          if (verdict === 'interrupted') this.#options.onNetworkInterrupted?.(e as Error);
          await retryPause(backoff.take(), signal, clock);
          continue;
        }
        sequenceId++;
        if (outage.recovered()) this.#options.onNetworkResumed?.();
        backoff.reset();
        for (const ev of events) {
          if (ev.type === 'Output' && ev.stream === 'stdout') this.stdout.push(ev.data);
          else if (ev.type === 'Output' && ev.stream === 'stderr') this.stderr.push(ev.data);
          else if (ev.type === 'CommandDone') exit = ev.exitCode;
        }
        if (exit !== undefined) break;
      }
    } catch (e) {
      const err = signal.aborted && this.#abandonReason !== undefined ? this.#abandonReason : e;
      this.stdout.fail(err);
      this.stderr.fail(err);
      this.#done = true;
      this.#signalDone?.();
      throw err;
    }
    this.#done = true;
    this.stdout.end();
    this.stderr.end();
    // The server keeps the command until told it is over (MS-WSMV 3.1.4.14);
    // the exit code is known already, so the caller does not wait for that.
    if (!this.shell.closed && !this.#options.lastCommand) {
      const sent = Promise.resolve()
        .then(() => client.shellRequest(this.#core, this.#core.signal(this.commandId, SIGNAL.terminate)))
        .then(() => undefined, () => undefined)
        .finally(() => this.#signalDone?.());
      this.shell.signalInFlight(sent);
    } else this.#signalDone?.();
    return exit;
  }

  async #pumpStdin(source: StdinSource): Promise<void> {
    if (typeof source === 'string' || source instanceof Uint8Array) {
      await this.sendInput(source, { end: true });
      return;
    }
    // (yield* takes sync and async iterables alike, and passes return() on to the source.)
    const it = (async function* () {
      yield* source as AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
    })();
    let next = it.next();
    for (let r = await next; !r.done; r = await next) {
      if (this.#done || this.#terminated) return void (await it.return(undefined));
      next = it.next();
      // Piped input has its end right behind its last bytes: when the end is known by
      // the next turn of the event loop it rides on this Send (End="true") instead of
      // costing a Send of its own, which a command that already exited would not answer.
      const ahead = await Promise.race([next, new Promise<undefined>((res) => setImmediate(res, undefined))]);
      if (ahead?.done) return this.sendInput(r.value, { end: true });
      await this.sendInput(r.value);
    }
    if (!this.#done && !this.#terminated) await this.sendInput(Buffer.alloc(0), { end: true });
  }

  /** Raw bytes of stdin per Send, so the envelope stays under MaxEnvelopeSize. */
  #chunkSize(): number {
    return stdinBytesPerSend(this.client.maxEnvelopeSize);
  }

  /** Sends bytes to the command's stdin; `end` closes stdin after them. */
  async sendInput(data: string | Uint8Array, options: { end?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    // The core refuses input after End or after Done (InvalidStateError naming the command's state).
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const size = this.#chunkSize();
    let offset = 0;
    do {
      const part = bytes.subarray(offset, offset + size);
      offset += part.length;
      const last = offset >= bytes.length;
      const req = this.#core.send(this.commandId, [{ name: 'stdin', data: part, ...(last && options.end ? { end: true } : {}) }]);
      await this.client.shellRequest(this.#core, req, { signal: options.signal });
    } while (offset < bytes.length);
  }

  /** Sends Ctrl+C to the command. */
  async ctrlC(): Promise<void> {
    if (this.#done) return;
    await this.client.shellRequest(this.#core, this.#core.signal(this.commandId, SIGNAL.ctrlC));
  }

  /** Ends the command on the server and stops following it; `exitCode` rejects with AbortError. */
  async terminate(): Promise<void> {
    if (this.#done || this.#terminated) return;
    this.#terminated = true;
    this.abandon(new AbortError('the command was terminated'));
    await this.client.shellRequest(this.#core, this.#core.signal(this.commandId, SIGNAL.terminate)).catch((e: unknown) => {
      if (!(e instanceof WSManFaultError)) throw e;
    });
  }

  /** Stops the receive loop locally (no signal sent). */
  abandon(reason: unknown): void {
    if (this.#done) return;
    this.#abandonReason ??= reason;
    this.#loopAbort.abort(reason);
  }
}

/** Raw stdin bytes one Send carries within an envelope of this size (base64 and the SOAP around it). */
export function stdinBytesPerSend(maxEnvelopeSize: number): number {
  return Math.max(1024, Math.floor((maxEnvelopeSize - 4096) / 4) * 3);
}

export interface RunCommandResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly stdoutBytes: Buffer;
  readonly stderrBytes: Buffer;
}

export interface RunCommandOptions extends OpenShellOptions, RunOptions {
  /**
   * Wait for the shell's Delete before resolving (default false: the result
   * comes after Create, Command and Receive; the Delete goes on in the
   * background and the process does not exit before it is answered, see
   * flushPendingCloses).
   */
  readonly awaitClose?: boolean;
}

/**
 * Opens a shell, runs one command to its end, closes the shell. Output is
 * decoded as UTF-8. Three requests on the critical path: Create, Command,
 * Receive (Done); no Signal terminate, since Delete releases the command.
 */
export async function runCommand(target: Target, command: string, args: readonly string[] = [], options: RunCommandOptions = {}): Promise<RunCommandResult> {
  const shell = await openShell(target, options);
  let result: RunCommandResult;
  try {
    // Nothing can write to this command's stdin after the call: closed unless the caller says otherwise.
    const cmd = await shell.run(command, args, { ...options, closeStdin: options.closeStdin ?? true, lastCommand: true });
    const [stdoutBytes, stderrBytes, exitCode] = await Promise.all([cmd.stdout.collect(), cmd.stderr.collect(), cmd.exitCode]);
    result = { stdout: stdoutBytes.toString('utf8'), stderr: stderrBytes.toString('utf8'), exitCode, stdoutBytes, stderrBytes };
  } catch (e) {
    await shell.close().catch(() => undefined);
    throw e;
  }
  if (options.awaitClose) await shell.close();
  else closeInBackground(shell.close());
  return result;
}

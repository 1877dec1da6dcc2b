// The shells the local endpoint holds: their state, lookup by ShellId and
// CommandId, the description Create/Enumerate/Get answer with, the per-user
// quotas, and the sweeper that disconnects idle shells and removes expired ones.

import type { RequestInfo } from './recording.js';
import type { PowerShellEngine } from './real-engine.js';
import { FAULTS, quotaFault, type FaultSpec, type ShellDescription } from './responses.js';
import { clearOut, wake, type CommandState, type Outbox } from './commands.js';
import { systemClock, type Clock, type ClockTimer } from '../util/clock.js';
import { streamBytes, type WireStream } from '../wsman/reader.js';

export interface Shell {
  readonly id: string;
  readonly resourceUri: string;
  readonly kind: 'powershell' | 'cmd';
  readonly created: number;
  lastActivity: number;
  readonly idleTimeoutMs: number;
  readonly poolOut: Outbox;
  readonly commands: Map<string, CommandState>;
  readonly engine?: PowerShellEngine;
  readonly cwd?: string | undefined;
  readonly env?: Record<string, string>;
  readonly inputStreams: string;
  readonly outputStreams: string;
  /** Receives being held right now. */
  pendingReceives: number;
  state: 'Connected' | 'Disconnected';
  /** The user who created it (quotas, Enumerate's Owner). */
  readonly owner: string;
  /** Commands created over the shell's life (a counter; the quota counts the ones held). */
  commandsRun: number;
  /**
   * Ids of the last PowerShell commands released after their final (Done)
   * Receive, oldest first, at most RECENTLY_DONE_KEPT: a repeated Receive for
   * one is answered Done again instead of ShellNotFound. Bounded on purpose.
   */
  readonly recentlyDone: Map<string, Outbox>;
  /** When it became Disconnected, and how long it is kept so (Disconnect's IdleTimeOut). */
  disconnectedAt?: number;
  keepDisconnectedMs?: number;
}

/** What the endpoint's shells hold (LocalEndpoint.stats). */
export interface EndpointHeld {
  /** Commands not released yet, over all shells (running, or Done and not yet received/signalled). */
  readonly commandsHeld: number;
  /** Output waiting for a Receive, plus what the engines queue or reassemble. */
  readonly bufferedBytes: number;
  /** Receives being held (long polls) right now. */
  readonly pendingReceives: number;
  /** Pipelines the PowerShell engines track. */
  readonly enginePipelines: number;
  /** Released command ids kept to answer a repeated Receive (at most RECENTLY_DONE_KEPT per shell). */
  readonly recentlyDone: number;
}

/** A request answered with a WS-Management fault (thrown by the operations, caught by the HTTP front). */
export class Fault extends Error {
  constructor(readonly spec: FaultSpec, readonly status = 500) {
    super(spec.reason);
  }
}

/**
 * A Send's stream as bytes, decoded strictly as Windows does (Node's decoder
 * skips bad characters and would hand the command other bytes than were sent):
 * anything else is the InvalidParameter fault naming the stream.
 */
export function sendStreamBytes(st: WireStream): Buffer {
  try {
    return streamBytes(st);
  } catch (e) {
    throw new Fault({ ...FAULTS.invalidParameter, reason: `${(e as Error).message}. ` });
  }
}

export interface ShellTableOptions {
  /** Disconnect shells with no request and no outstanding Receive for this long; 0 is off. */
  readonly idleDisconnectMs: number;
  /** Shells one user may hold at once (MaxShellsPerUser). */
  readonly maxShellsPerUser: number;
  /**
   * Commands one shell may hold at once (MaxConcurrentOperationsPerUser): a
   * command counts until it is released (PowerShell: its Done was received;
   * WinRS: Signal after Done, or terminate), so a long-lived shell can run any
   * number of commands one after another.
   */
  readonly maxCommandsPerShell: number;
  /** Time for activity, idle sweeps, expiry and Receive holds (default the real clock; tests pass a ManualClock). */
  readonly clock?: Clock;
}

/** Released PowerShell command ids a shell remembers (Shell.recentlyDone). */
export const RECENTLY_DONE_KEPT = 16;

export class ShellTable {
  /** Shells the idle timer disconnected (PowerShell) or dropped (cmd). */
  idleDisconnects = 0;
  /** Disconnected shells removed when their idle timeout ran out. */
  expired = 0;
  /** Set by close(): a Receive woken then answers the timeout fault. */
  closed = false;
  readonly #shells = new Map<string, Shell>();
  readonly #options: ShellTableOptions;
  readonly clock: Clock;
  readonly #sweepEveryMs: number;
  #sweepTimer: ClockTimer | undefined;

  constructor(options: ShellTableOptions) {
    this.#options = options;
    this.clock = options.clock ?? systemClock;
    const idleMs = options.idleDisconnectMs;
    this.#sweepEveryMs = idleMs > 0 ? Math.max(10, Math.floor(idleMs / 4)) : 1_000;
    this.#scheduleSweep();
  }

  /** Now, on the table's clock: every activity and expiry time of a shell is on it. */
  now(): number {
    return this.clock.now();
  }

  // One timer at a time, set again after each sweep (an interval on an injected clock).
  #scheduleSweep(): void {
    this.#sweepTimer = this.clock.setTimeout(
      () => {
        this.sweep();
        if (!this.closed) this.#scheduleSweep();
      },
      this.#sweepEveryMs,
      { unref: true },
    );
  }

  get size(): number {
    return this.#shells.size;
  }

  all(): IterableIterator<Shell> {
    return this.#shells.values();
  }

  /** The shell with this ShellId (any case), without counting it as activity. */
  find(shellId: string): Shell | undefined {
    return this.#shells.get(shellId.toUpperCase());
  }

  has(id: string): boolean {
    return this.#shells.has(id);
  }

  add(shell: Shell): void {
    this.#shells.set(shell.id, shell);
  }

  /** The shell a request addresses, not (yet) counted as activity: a request refused from another client is none. */
  peek(info: RequestInfo): Shell {
    const s = info.shellId ? this.#shells.get(info.shellId.toUpperCase()) : undefined;
    if (!s) throw new Fault(FAULTS.shellNotFound);
    return s;
  }

  /** The shell a request addresses; a request to it is activity (the idle timer starts over). */
  shellOf(info: RequestInfo): Shell {
    const s = info.shellId ? this.#shells.get(info.shellId.toUpperCase()) : undefined;
    if (!s) throw new Fault(FAULTS.shellNotFound);
    s.lastActivity = this.clock.now();
    return s;
  }

  commandOf(s: Shell, commandId: string | undefined): CommandState {
    const c = commandId ? s.commands.get(commandId.toUpperCase()) : undefined;
    if (!c) throw new Fault(FAULTS.shellNotFound);
    return c;
  }

  /** What the shells hold now (LocalEndpoint.stats): nothing of it is for commands released. */
  held(): EndpointHeld {
    let commandsHeld = 0;
    let bufferedBytes = 0;
    let pendingReceives = 0;
    let enginePipelines = 0;
    let recentlyDone = 0;
    const outBytes = (o: Outbox) => o.chunks.reduce((n, c) => n + c.data.length, 0);
    for (const s of this.#shells.values()) {
      commandsHeld += s.commands.size;
      pendingReceives += s.pendingReceives;
      recentlyDone += s.recentlyDone.size;
      bufferedBytes += outBytes(s.poolOut);
      for (const c of s.commands.values()) bufferedBytes += outBytes(c.out);
      const e = s.engine?.held?.();
      if (e) {
        enginePipelines += e.pipelines;
        bufferedBytes += e.bufferedBytes;
      }
    }
    return { commandsHeld, bufferedBytes, pendingReceives, enginePipelines, recentlyDone };
  }

  /** Refuses a new shell to a user who holds as many as the quota allows. */
  admitShell(user: string): void {
    const max = this.#options.maxShellsPerUser;
    const held = [...this.#shells.values()].filter((s) => s.owner === user).length;
    if (held >= max) throw new Fault(quotaFault('shells', max));
  }

  /** Counts a new command against the shell's operations quota (commands held), or refuses it. */
  admitCommand(shell: Shell): void {
    const max = this.#options.maxCommandsPerShell;
    if (shell.commands.size >= max) throw new Fault(quotaFault('operations', max));
    shell.commandsRun++;
  }

  /**
   * Forgets a finished command whose output was handed over: the shell keeps
   * no state per past command, only its id among the last few (recentlyDone).
   */
  release(s: Shell, c: CommandState): void {
    if (s.commands.get(c.id) !== c) return;
    s.commands.delete(c.id);
    clearOut(c.out);
    wake(c.out);
    if (s.kind !== 'powershell') return;
    // The emptied outbox stays with the id: a Receive repeated with its SequenceId gets its last answer again.
    s.recentlyDone.set(c.id, c.out);
    if (s.recentlyDone.size > RECENTLY_DONE_KEPT) s.recentlyDone.delete(s.recentlyDone.keys().next().value!);
  }

  describe(s: Shell, listing = false): ShellDescription {
    const now = this.clock.now();
    return {
      ...(s.kind === 'cmd' ? { environment: s.env, workingDirectory: s.cwd } : {}),
      ...(listing ? { memoryUsedMB: Math.round(process.memoryUsage().rss / 1048576), childProcesses: [...s.commands.values()].filter((c) => c.child && !c.out.done).length } : {}),
      shellId: s.id,
      resourceUri: s.resourceUri,
      owner: s.owner,
      clientIP: '127.0.0.1',
      processId: process.pid,
      idleTimeoutMs: s.idleTimeoutMs,
      maxIdleTimeoutMs: 2_147_483_647,
      inputStreams: s.inputStreams,
      outputStreams: s.outputStreams,
      state: s.state,
      runTimeMs: now - s.created,
      inactivityMs: now - s.lastActivity,
    };
  }

  /** Output bytes held for clients, over every shell and command. */
  bufferedOutputBytes(): number {
    let n = 0;
    for (const s of this.#shells.values()) {
      n += s.poolOut.bytes;
      for (const c of s.commands.values()) n += c.out.bytes;
    }
    return n;
  }

  /** Removes a shell: its engine and commands are stopped, its held Receives answered. */
  drop(s: Shell): void {
    this.#shells.delete(s.id);
    s.engine?.close();
    for (const c of s.commands.values()) {
      c.child?.kill('SIGKILL');
      c.abort?.abort();
      wake(c.out);
    }
    wake(s.poolOut);
  }

  // Windows disconnects a PowerShell shell whose client stopped receiving (it
  // can be reconnected; a cmd shell cannot, so it is dropped), and removes a
  // disconnected shell once its idle timeout has run out.
  sweep(): void {
    const idleMs = this.#options.idleDisconnectMs;
    const now = this.clock.now();
    for (const s of this.#shells.values()) {
      if (idleMs > 0 && s.state === 'Connected' && s.pendingReceives === 0 && now - s.lastActivity > idleMs) {
        this.idleDisconnects++;
        if (s.kind === 'cmd') this.drop(s);
        else {
          s.state = 'Disconnected';
          s.disconnectedAt = now;
          s.keepDisconnectedMs ??= s.idleTimeoutMs;
        }
      } else if (s.state === 'Disconnected' && now - (s.disconnectedAt ?? now) > (s.keepDisconnectedMs ?? s.idleTimeoutMs)) {
        this.expired++;
        this.drop(s);
      }
    }
  }

  /** Stops the sweeper and drops every shell. */
  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.#sweepTimer);
    for (const s of [...this.#shells.values()]) this.drop(s);
  }
}

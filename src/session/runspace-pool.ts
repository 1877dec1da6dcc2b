// A RunspacePool the way PowerShell users know it (New-PSSession's pool): open
// it over any carrier, invoke scripts and commands on it, several at once, and
// close it. This is where the sans-I/O PSRP core meets I/O: every action queues
// in the core, then `#flush` hands the queued payloads to the carrier in order;
// whatever the carrier receives goes back into the core and out as events.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AbortError, InvalidStateError, PsRemoteError, TimeoutError, UsageError } from '../errors.js';
import {
  ClientGetCommandMetadata,
  ClientPowerShell,
  type ClientPipelineBase,
  ClientRunspacePool,
  PSInvocationState,
  featureSupported,
  RunspacePoolState,
  type PsrpEvent,
  type RsaKeyPair,
  type PSValue,
} from '../psrp/index.js';
import type { CarrierSink, PsrpCarrier } from './carrier.js';
import { NonInteractiveHost, type PSHost } from './host.js';
import { hostInfoFor } from './raw-ui.js';
import { PowerShellInvocation } from './powershell.js';
import type { InvokeOptions, InvokeTarget, RunspacePoolEvents, RunspacePoolOptions } from './pool-options.js';

export type { InvokeOptions, InvokeTarget, RunspacePoolEvents, RunspacePoolOptions } from './pool-options.js';
import { closeOnExit, forgetOnExit } from './exit.js';
import { readCommandMetadata, type CommandMetadata } from './command-metadata.js';

/** Host methods whose answer may hold a SecureString: the session key must be in place first. */
const SECURE_ANSWERS = new Set(['ReadLineAsSecureString', 'PromptForCredential1', 'PromptForCredential2', 'PromptForCredential', 'Prompt']);

function protocolHasKeyExchange(version: string): boolean {
  return featureSupported('SessionKeyExchange', version);
}

const TERMINAL = new Set<number>([PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped]);

export class RunspacePool extends EventEmitter<RunspacePoolEvents> implements AsyncDisposable {
  readonly #core: ClientRunspacePool;
  readonly #carrier: PsrpCarrier;
  readonly #host: PSHost;
  readonly #invocations = new Map<string, { inv: PowerShellInvocation; core: ClientPipelineBase; host: PSHost }>();
  #sendChain: Promise<void> = Promise.resolve();
  #opened!: { resolve: () => void; reject: (e: unknown) => void };
  #failure: Error | undefined;
  #closed = false;
  readonly #calls = new Map<bigint, { resolve: (v: boolean | bigint) => void; reject: (e: unknown) => void }>();

  #disconnectReason: Error | undefined;
  #hasKeyPair = false;
  readonly #keyExchangeTimeoutMs: number;
  #keyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** Waits in progress (opening, pool calls, pipelines): while any, a timer keeps Node alive. */
  #holds = 0;
  #keepProcess: NodeJS.Timeout | undefined;

  private constructor(carrier: PsrpCarrier, options: RunspacePoolOptions) {
    super();
    this.#carrier = carrier;
    this.#host = options.host ?? new NonInteractiveHost();
    this.#core = new ClientRunspacePool({
      runspacePoolId: options.runspacePoolId ?? randomUUID(),
      ...(options.minRunspaces !== undefined ? { minRunspaces: options.minRunspaces } : {}),
      ...(options.maxRunspaces !== undefined ? { maxRunspaces: options.maxRunspaces } : {}),
      ...(options.protocolVersion !== undefined ? { protocolVersion: options.protocolVersion } : {}),
      ...(options.applicationArguments !== undefined ? { applicationArguments: options.applicationArguments } : {}),
      ...(options.firstCallId !== undefined ? { firstCallId: options.firstCallId } : {}),
      ...(options.keyPair ? { keyPair: options.keyPair } : {}),
      // Pipelines declare their own host (hostInfoFor), not the pool's, so
      // their calls come as PIPELINE_HOST_CALL and InvokeOptions.host can differ.
      hostInfo: hostInfoFor(this.#host.rawUI),
    });
    this.#hasKeyPair = options.keyPair !== undefined;
    this.#keyExchangeTimeoutMs = options.keyExchangeTimeoutMs ?? 60_000;
  }

  /** Opens a pool over `carrier`: resolves once the server reports it Opened. */
  static async open(carrier: PsrpCarrier, options: RunspacePoolOptions = {}): Promise<RunspacePool> {
    const pool = new RunspacePool(carrier, options);
    const opened = pool.#hold(new Promise<void>((resolve, reject) => (pool.#opened = { resolve, reject })));
    // A carrier may fail the pool while openPool is still pending; that rejection is thrown there.
    opened.catch(() => undefined);
    const signal = options.signal;
    const onAbort = () => pool.#fail(new AbortError('opening the runspace pool was aborted', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) throw new AbortError('opening the runspace pool was aborted');
      pool.#core.open();
      const first = pool.#core.dataToSend(carrier.payloadBudget());
      if (!first) throw new UsageError('the PSRP core queued nothing to open the pool');
      await carrier.openPool(first, pool.#sink(), signal);
      await pool.#flush(signal);
      await opened;
      if (options.closeOnExit !== false) closeOnExit(pool);
      return pool;
    } catch (e) {
      await carrier.closePool().catch(() => undefined);
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Connects to a pool another client created and left disconnected
   * (Get-PSSession -ComputerName | Connect-PSSession): SESSION_CAPABILITY +
   * CONNECT_RUNSPACEPOOL in one Connect, then the pool is Opened again.
   */
  static async connect(carrier: PsrpCarrier, shellId: string, options: RunspacePoolOptions = {}): Promise<RunspacePool> {
    if (!carrier.connectPool) throw new UsageError('this carrier cannot connect to an existing pool');
    const pool = new RunspacePool(carrier, { runspacePoolId: shellId.toLowerCase(), ...options });
    const opened = pool.#hold(new Promise<void>((resolve, reject) => (pool.#opened = { resolve, reject })));
    try {
      pool.#core.connect();
      const first = pool.#core.dataToSend(carrier.payloadBudget());
      if (!first || pool.#core.hasDataToSend) throw new UsageError('the connect request does not fit in one message');
      await carrier.connectPool(shellId, first, pool.#sink(), options.signal);
      await opened;
      if (options.closeOnExit !== false) closeOnExit(pool);
      return pool;
    } catch (e) {
      await carrier.closePool().catch(() => undefined);
      throw e;
    }
  }

  // The pool's keep-alive Receive does not hold the process (a finished program
  // may exit and close its sessions, see exit.ts); whatever a caller awaits does.
  // A Disconnected pool holds nothing: its pipelines finish on the server, for a later client.
  #hold<T>(p: Promise<T>): Promise<T> {
    this.#holds++;
    this.#keepAlive();
    const release = () => {
      this.#holds--;
      this.#keepAlive();
    };
    p.then(release, release);
    return p;
  }

  #keepAlive(): void {
    const want = this.#holds > 0 && this.#core.state !== RunspacePoolState.Disconnected;
    if (want && !this.#keepProcess) this.#keepProcess = setInterval(() => undefined, 1 << 30);
    else if (!want && this.#keepProcess) {
      clearInterval(this.#keepProcess);
      this.#keepProcess = undefined;
    }
  }

  #sink(): CarrierSink {
    return {
      payload: (d) => this.#receive(d),
      error: (e) => this.#fail(e),
      interrupted: (e) => this.emit('networkInterrupted', e),
      resumed: () => this.emit('networkResumed'),
      disconnected: (e) => {
        if (this.#failure || this.#closed) return;
        this.#disconnectReason = e;
        try {
          this.#core.markDisconnected();
        } catch {
          // not in a state that can be disconnected: nothing to mark
        }
        this.#keepAlive();
        this.emit('disconnected', e);
      },
    };
  }

  /** Why the pool is Disconnected without a call to disconnect() (the network), if it is. */
  get disconnectReason(): Error | undefined {
    return this.#disconnectReason;
  }

  /**
   * Receive-PSSession: attach to a pipeline that kept running on the server while
   * the pool was disconnected, and receive the rest of its output.
   */
  async attach(pipelineId: string, options: { host?: PSHost; signal?: AbortSignal } = {}): Promise<PowerShellInvocation> {
    if (!this.#carrier.attachPipeline) throw new UsageError('this carrier cannot attach to a running pipeline');
    const id = pipelineId.toLowerCase();
    const core = new ClientPowerShell(this.#core, { pipelineId: id });
    core.connect();
    const inv = new PowerShellInvocation(core, () => this.#stopPipeline(core));
    this.#invocations.set(id, { inv, core, host: options.host ?? this.#host });
    void this.#hold(inv.result().catch(() => undefined));
    await this.#carrier.attachPipeline(id, options.signal);
    return inv;
  }

  async #poolCall(ci: bigint | undefined, signal?: AbortSignal): Promise<boolean | bigint> {
    if (ci === undefined) return true; // applied locally (before open)
    const answer = this.#hold(new Promise<boolean | bigint>((resolve, reject) => this.#calls.set(ci, { resolve, reject })));
    await this.#flush(signal);
    return answer;
  }

  /** Resets the runspace's state (variables, history) to how it was opened (protocol ≥ 2.3). */
  async resetRunspaceState(signal?: AbortSignal): Promise<boolean> {
    return (await this.#poolCall(this.#core.resetRunspaceState(), signal)) === true;
  }

  /** How many runspaces of the pool are free right now. */
  async getAvailableRunspaces(signal?: AbortSignal): Promise<number> {
    return Number(await this.#poolCall(this.#core.getAvailableRunspaces(), signal));
  }

  async setMaxRunspaces(n: number, signal?: AbortSignal): Promise<boolean> {
    return (await this.#poolCall(this.#core.setMaxRunspaces(n), signal)) === true;
  }

  async setMinRunspaces(n: number, signal?: AbortSignal): Promise<boolean> {
    return (await this.#poolCall(this.#core.setMinRunspaces(n), signal)) === true;
  }

  /**
   * Exchanges a session key with the server (MS-PSRP 3.1.4.8), so SecureStrings
   * can travel both ways. Done on demand before a host answer that holds one
   * (ReadLineAsSecureString, PromptForCredential, Prompt) and when the server asks
   * (PUBLIC_KEY_REQUEST); call it yourself before sending SecureStrings as
   * parameters or input. Protocol 2.4 has no exchange (nothing to do).
   */
  async exchangeKey(signal?: AbortSignal): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#core.hasSessionKey) return;
    const waiter = { resolve: () => {}, reject: (_e: unknown) => {} };
    const done = this.#hold(new Promise<void>((resolve, reject) => Object.assign(waiter, { resolve, reject })));
    this.#keyWaiters.push(waiter);
    // A server that never answers must not hang the caller (pypsrp's test_psrp_key_exchange_timeout).
    const ms = this.#keyExchangeTimeoutMs;
    const timer = setTimeout(() => {
      this.#keyWaiters = this.#keyWaiters.filter((w) => w !== waiter);
      waiter.reject(new TimeoutError(`the server did not answer the session key exchange (PUBLIC_KEY) within ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}`));
    }, ms);
    const onAbort = () => waiter.reject(new AbortError('the key exchange was aborted', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!this.#core.keyExchangePending) this.#core.exchangeKey(this.#keyPair());
      await this.#flush(signal);
      await done;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #keyPair(): RsaKeyPair | undefined {
    if (this.#hasKeyPair) return undefined; // the core has it already
    this.#hasKeyPair = true;
    return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  }

  /** Disconnect-PSSession: the pool stays on the server; pipelines keep running there. */
  async disconnect(options: { idleTimeoutMs?: number; bufferMode?: 'Block' | 'Drop'; signal?: AbortSignal } = {}): Promise<void> {
    if (!this.#carrier.disconnect) throw new UsageError('this carrier cannot disconnect a pool');
    await this.#sendChain;
    const { signal, ...o } = options;
    await this.#carrier.disconnect(o, signal);
    this.#core.markDisconnected();
    this.#keepAlive();
  }

  /** Connect-PSSession from this same client: resume receiving. */
  async reconnect(signal?: AbortSignal): Promise<void> {
    if (!this.#carrier.reconnect) throw new UsageError('this carrier cannot reconnect a pool');
    await this.#carrier.reconnect(signal);
    this.#core.markReconnected();
    this.#disconnectReason = undefined;
    this.#keepAlive();
  }

  get runspacePoolId(): string {
    return this.#core.runspacePoolId;
  }

  /** 'Opened', 'Broken', 'Closed', … */
  get state(): string {
    return Object.entries(RunspacePoolState).find(([, v]) => v === this.#core.state)?.[0] ?? String(this.#core.state);
  }

  /** The protocol version the server reported (e.g. '2.3'). */
  get serverProtocolVersion(): string | undefined {
    return this.#core.theirProtocolVersion;
  }

  /** $PSSenderInfo.ApplicationPrivateData / PSVersionTable as the server sent them. */
  get applicationPrivateData(): PSValue {
    return this.#core.applicationPrivateData;
  }

  /** Runs a script or a command on the pool. Output streams while it runs. */
  invoke(target: InvokeTarget, options: InvokeOptions = {}): PowerShellInvocation {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new InvalidStateError('invoke', 'Closed', ['Opened']);
    if (this.#core.state === RunspacePoolState.Disconnected) {
      throw new InvalidStateError('invoke', 'Disconnected', ['Opened'], this.#disconnectReason ? { cause: this.#disconnectReason } : undefined);
    }
    const hasInput = options.input !== undefined;
    const core = new ClientPowerShell(this.#core, {
      pipelineId: options.pipelineId ?? randomUUID(),
      noInput: !hasInput,
      addToHistory: options.addToHistory ?? false,
      ...(options.nested ? { isNested: true } : {}),
      // What PowerShell's own client sends (the PowerShell class defaults to true):
      // with false, the real engine fails the whole script at the first statement
      // error (`1/0; 'after'`) instead of writing it and going on.
      redirectShellErrorOutputPipe: options.redirectShellErrorOutputPipe ?? true,
      // Read at each pipeline, as PowerShell's client reads its host's RawUI: the
      // server starts each pipeline's raw UI from the defaults declared here.
      hostInfo: hostInfoFor((options.host ?? this.#host).rawUI),
    });
    if (typeof target === 'string') core.addScript(target);
    else {
      core.addCommand(target.command);
      for (const [k, v] of Object.entries(target.parameters ?? {})) core.addParameter(k, v);
      for (const a of target.arguments ?? []) core.addArgument(a);
    }
    const inv = new PowerShellInvocation(core, () => this.#stopPipeline(core));
    this.#invocations.set(core.pipelineId, { inv, core, host: options.host ?? this.#host });
    if (!options.holdOutput) void this.#hold(inv.result().catch(() => undefined));
    if (options.holdOutput) {
      if (!this.#carrier.holdOutput) throw new UsageError('this carrier cannot leave output on the server');
      this.#carrier.holdOutput(core.pipelineId);
    }
    core.start();
    const started = this.#flush(options.signal);
    inv._setStarted(started);
    started.catch((e: unknown) => this.#finishPipeline(core.pipelineId, e));
    if (hasInput) void this.#pumpInput(core, options.input!, started, options.signal);
    if (options.signal) {
      const onAbort = () => void inv.stop().catch(() => undefined);
      options.signal.addEventListener('abort', onAbort, { once: true });
      inv.result().then(
        () => options.signal!.removeEventListener('abort', onAbort),
        () => options.signal!.removeEventListener('abort', onAbort),
      );
    }
    return inv;
  }

  /**
   * Get-Command on the server (GET_COMMAND_METADATA), what Import-PSSession uses:
   * names are wildcard patterns (default `*`), commandType CommandTypes flags
   * (default Alias|Function|Filter|Cmdlet), namespace module names.
   */
  async getCommandMetadata(
    options: { name?: readonly string[]; commandType?: number; namespace?: readonly string[]; argumentList?: readonly PSValue[]; pipelineId?: string; signal?: AbortSignal } = {},
  ): Promise<CommandMetadata[]> {
    if (this.#failure) throw this.#failure;
    if (this.#closed || this.#core.state !== RunspacePoolState.Opened) throw new InvalidStateError('get command metadata', this.state, ['Opened']);
    const core = new ClientGetCommandMetadata(this.#core, {
      pipelineId: options.pipelineId ?? randomUUID(),
      ...(options.name ? { name: options.name } : {}),
      ...(options.commandType !== undefined ? { commandType: options.commandType } : {}),
      ...(options.namespace ? { namespace: options.namespace } : {}),
      ...(options.argumentList ? { argumentList: options.argumentList } : {}),
    });
    const inv = new PowerShellInvocation(core, () => this.#stopPipeline(core));
    this.#invocations.set(core.pipelineId, { inv, core, host: this.#host });
    core.start();
    const started = this.#flush(options.signal);
    inv._setStarted(started);
    started.catch((e: unknown) => this.#finishPipeline(core.pipelineId, e));
    const result = await this.#hold(inv.result());
    return readCommandMetadata(result.output, `GET_COMMAND_METADATA ${core.pipelineId}`);
  }

  async #pumpInput(core: ClientPowerShell, input: AsyncIterable<PSValue> | Iterable<PSValue>, started: Promise<void>, signal?: AbortSignal): Promise<void> {
    try {
      await started;
      if (Array.isArray(input)) {
        // All of it is here already: queue it with its end and send it as PowerShell's
        // client does, packed into as few payloads as the budget allows (golden traces,
        // spec-notes/real-engine.md), not one acknowledged round trip per object.
        for (const item of input as readonly PSValue[]) {
          if (core.state !== PSInvocationState.Running) return;
          core.sendInput(item);
        }
        if (core.state === PSInvocationState.Running) core.sendEnd();
        await this.#flush(signal);
        return;
      }
      for await (const item of input as AsyncIterable<PSValue>) {
        if (core.state !== PSInvocationState.Running) return;
        core.sendInput(item);
        await this.#flush(signal);
      }
      if (core.state === PSInvocationState.Running) {
        core.sendEnd();
        await this.#flush(signal);
      }
    } catch (e) {
      this.#finishPipeline(core.pipelineId, e);
    }
  }

  async #stopPipeline(core: ClientPipelineBase): Promise<void> {
    if (core.state !== PSInvocationState.Running && core.state !== PSInvocationState.Stopping) return;
    core.beginStop();
    await this.#carrier.stopPipeline(core.pipelineId);
  }

  /** Sends everything the core has queued, in order, one payload at a time. */
  #flush(signal?: AbortSignal): Promise<void> {
    const next = this.#sendChain.then(async () => {
      for (;;) {
        if (this.#failure) throw this.#failure;
        const p = this.#core.dataToSend(this.#carrier.payloadBudget());
        if (!p) return;
        await this.#carrier.send(p, signal);
      }
    });
    this.#sendChain = next.catch(() => undefined);
    return next;
  }

  #receive(data: Uint8Array): void {
    if (this.#failure) return;
    try {
      this.#core.receiveData(data);
      for (let e = this.#core.nextEvent(); e !== undefined; e = this.#core.nextEvent()) this.#dispatch(e);
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    // Events may have queued answers (key exchange, host responses).
    if (this.#core.hasDataToSend) void this.#flush().catch((e: unknown) => this.#fail(e as Error));
  }

  #dispatch(e: PsrpEvent): void {
    switch (e.type) {
      case 'SessionCapability':
        if (this.#core.theirProtocolVersion) this.#carrier.negotiated?.(this.#core.theirProtocolVersion);
        return;
      case 'RunspacePoolInitData':
      case 'RunspacePoolState':
        if (this.#core.state === RunspacePoolState.Opened) this.#opened?.resolve();
        else if (this.#core.state === RunspacePoolState.Broken || this.#core.state === RunspacePoolState.Closed) {
          this.#fail(new PsRemoteError('PSR_SESSION_BROKEN', `the server reports the runspace pool ${this.state}`));
        }
        return;
      case 'EncryptedSessionKey':
        for (const w of this.#keyWaiters.splice(0)) w.resolve();
        return;
      case 'PublicKeyRequest':
        // The server wants to send a SecureString: give it our key (the core answers when it has a pair).
        if (!this.#hasKeyPair && !this.#core.keyExchangePending) this.#core.exchangeKey(this.#keyPair());
        return;
      case 'RunspaceAvailability': {
        const call = this.#calls.get(e.ci);
        this.#calls.delete(e.ci);
        call?.resolve(e.response);
        return;
      }
      case 'RunspacePoolHostCall':
        void this.#hostCall(undefined, this.#host, e.ci, e.methodId, e.methodName, e.parameters);
        return;
      case 'PipelineHostCall': {
        const entry = e.pipelineId ? this.#invocations.get(e.pipelineId) : undefined;
        void this.#hostCall(entry?.core, entry?.host ?? this.#host, e.ci, e.methodId, e.methodName, e.parameters, e.pipelineId);
        return;
      }
      case 'PipelineOutput':
        this.#inv(e.pipelineId)?.output.push(e.value);
        return;
      case 'ErrorRecord':
        this.#inv(e.pipelineId)?.streams.error.push(e.record);
        return;
      case 'WarningRecord':
        this.#inv(e.pipelineId)?.streams.warning.push(e.record);
        return;
      case 'VerboseRecord':
        this.#inv(e.pipelineId)?.streams.verbose.push(e.record);
        return;
      case 'DebugRecord':
        this.#inv(e.pipelineId)?.streams.debug.push(e.record);
        return;
      case 'InformationRecord':
        this.#inv(e.pipelineId)?.streams.information.push(e.record);
        return;
      case 'ProgressRecord':
        this.#inv(e.pipelineId)?.streams.progress.push(e.record);
        return;
      case 'PipelineState':
        if (e.pipelineId && TERMINAL.has(e.state)) this.#finishPipeline(e.pipelineId);
        return;
      default:
        return;
    }
  }

  #inv(pipelineId: string | undefined): PowerShellInvocation | undefined {
    return pipelineId ? this.#invocations.get(pipelineId)?.inv : undefined;
  }

  async #hostCall(core: ClientPipelineBase | undefined, host: PSHost, ci: bigint, methodId: number, method: string, parameters: readonly PSValue[], pipelineId?: string): Promise<void> {
    let result: PSValue | undefined;
    let error: string | undefined;
    try {
      result = await host.call({ method, methodId, parameters, pipelineId });
    } catch (e) {
      error = (e as Error)?.message ?? String(e);
    }
    // Void methods (ci -100) take no response.
    if (ci < 0n) return;
    try {
      if (error === undefined && SECURE_ANSWERS.has(method) && !this.#core.hasSessionKey && protocolHasKeyExchange(this.#core.protocolVersion)) {
        await this.exchangeKey();
      }
      const answer = error !== undefined ? { error } : result === undefined ? {} : { result };
      if (core) core.hostResponse(ci, answer);
      else this.#core.hostResponse(ci, answer);
      await this.#flush();
    } catch (e) {
      if (pipelineId) this.#finishPipeline(pipelineId, e);
      else this.#fail(e as Error);
    }
  }

  #finishPipeline(pipelineId: string, error?: unknown): void {
    const entry = this.#invocations.get(pipelineId);
    if (!entry) return;
    this.#invocations.delete(pipelineId);
    entry.inv._finish(error);
    if (TERMINAL.has(entry.core.state)) entry.core.close();
    this.#carrier.pipelineFinished(pipelineId);
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#opened?.reject(error);
    for (const c of this.#calls.values()) c.reject(error);
    this.#calls.clear();
    for (const w of this.#keyWaiters.splice(0)) w.reject(error);
    for (const id of [...this.#invocations.keys()]) this.#finishPipeline(id, error);
  }

  /** Closes the pool on the server (WSMan Delete) and every connection. */
  async close(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    forgetOnExit(this);
    for (const { core } of this.#invocations.values()) await this.#stopPipeline(core).catch(() => undefined);
    try {
      if (this.#core.state !== RunspacePoolState.Closed) this.#core.close();
    } catch {
      // already broken: nothing to tell the server at the PSRP level
    }
    await this.#sendChain;
    await this.#carrier.closePool(signal);
    try {
      this.#core.markClosed();
    } catch {
      // closing a broken pool
    }
    this.#fail(new InvalidStateError('use', 'Closed', ['Opened']));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

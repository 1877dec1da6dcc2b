// A RunspacePool the way PowerShell users know it (New-PSSession's pool): open
// it over any carrier, invoke scripts and commands on it, several at once, and
// close it. This is where the sans-I/O PSRP core meets I/O: every action queues
// in the core, then `#flush` hands the queued payloads to the carrier in order;
// whatever the carrier receives goes back into the core and out as events.
// Parts of its work live beside it: session-key.ts, host-calls.ts, pool-calls.ts,
// pipelines.ts, pipeline-input.ts, process-hold.ts, send-chain.ts.

import { EventEmitter } from 'node:events';
import { AbortError, InvalidStateError, SessionError, toError, UsageError } from '../errors.js';
import { ClientPowerShell, type ClientPipelineBase, ClientRunspacePool, PSInvocationState, RunspacePoolState, runspacePoolStateName, type PsrpEvent, type RunspacePoolStateName, type PSValue } from '../psrp/index.js';
import type { PSInput } from '../clixml/index.js';
import type { CarrierSink, PsrpCarrier } from './carriers/carrier.js';
import { NonInteractiveHost, type HostCall, type PSHost } from './host/host.js';
import { PowerShellInvocation } from './powershell.js';
import { coreOptions, type InvokeOptions, type ScriptOrCommand, type RunspacePoolEvents, type RunspacePoolOptions, type RunspacePoolStats } from './pool-options.js';

export type { InvokeOptions, ScriptOrCommand, RunspacePoolEvents, RunspacePoolOptions, RunspacePoolStats } from './pool-options.js';
import { closeOnExit, forgetOnExit } from '../winrm/exit.js';
import { commandMetadataPipeline, readCommandMetadata, type CommandMetadata } from './command-metadata.js';
import { answerHostCall } from './host/host-calls.js';
import { pumpInput } from './pipeline-input.js';
import { Pipelines, powerShellFor } from './pipelines.js';
import { PoolCalls } from './pool-calls.js';
import { poolStats } from './pool-stats.js';
import { ProcessHold } from './process-hold.js';
import { SendChain } from './send-chain.js';
import { SessionKey } from './session-key.js';
import { handleFor, originOf, type SessionHandle } from './handle.js';

export class RunspacePool extends EventEmitter<RunspacePoolEvents> implements AsyncDisposable {
  readonly #core: ClientRunspacePool;
  readonly #carrier: PsrpCarrier;
  readonly #host: PSHost;
  readonly #pipelines: Pipelines;
  readonly #sends: SendChain;
  #opened!: { resolve: () => void; reject: (e: unknown) => void };
  #openedPromise!: Promise<void>;
  #failure: Error | undefined;
  #closed = false;
  readonly #calls = new PoolCalls();

  #disconnectReason: Error | undefined;
  readonly #sessionKey: SessionKey;
  /** What a caller awaits keeps the process alive (process-hold.ts says why). */
  readonly #process = new ProcessHold(() => this.#core.state !== RunspacePoolState.Disconnected);

  private constructor(carrier: PsrpCarrier, options: RunspacePoolOptions) {
    super();
    this.#carrier = carrier;
    this.#sends = new SendChain(() => this.#core, carrier, () => this.#failure);
    this.#pipelines = new Pipelines(carrier, ({ core, host }, e) =>
      this.#hostCall(core, host, { ci: e.ci, methodId: e.methodId, method: e.methodName, parameters: e.parameters, pipelineId: e.pipelineId }),
    );
    this.#host = options.host ?? new NonInteractiveHost();
    this.#core = new ClientRunspacePool(coreOptions(options, this.#host));
    this.#sessionKey = new SessionKey(
      { core: this.#core, hold: (p) => this.#process.hold(p), flush: (signal) => this.#flush(signal) },
      { hasKeyPair: options.keyPair !== undefined, timeoutMs: options.keyExchangeTimeoutMs },
    );
  }

  /** Opens a pool over `carrier`: resolves once the server reports it Opened. */
  static async open(carrier: PsrpCarrier, options: RunspacePoolOptions = {}): Promise<RunspacePool> {
    const pool = new RunspacePool(carrier, options);
    const signal = options.signal;
    return RunspacePool.#establish(pool, options, async () => {
      const onAbort = () => pool.#fail(new AbortError('opening the runspace pool was aborted', { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        if (signal?.aborted) throw new AbortError('opening the runspace pool was aborted');
        pool.#core.open();
        const first = pool.#core.dataToSend(carrier.payloadBudget());
        if (!first) throw new UsageError('the PSRP core queued nothing to open the pool');
        await carrier.openPool(first, pool.#sink(), signal);
        await pool.#flush(signal);
        await pool.#openedPromise;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    });
  }

  /**
   * Connects to a pool another client created and left disconnected
   * (Get-PSSession -ComputerName | Connect-PSSession): SESSION_CAPABILITY +
   * CONNECT_RUNSPACEPOOL in one Connect, then the pool is Opened again.
   */
  static async connect(carrier: PsrpCarrier, shellId: string, options: RunspacePoolOptions = {}): Promise<RunspacePool> {
    if (!carrier.connectPool) throw new UsageError('this carrier cannot connect to an existing pool');
    const pool = new RunspacePool(carrier, { runspacePoolId: shellId.toLowerCase(), ...options });
    return RunspacePool.#establish(pool, options, async () => {
      pool.#core.connect();
      const first = pool.#core.dataToSend(carrier.payloadBudget());
      if (!first || pool.#core.hasDataToSend) throw new UsageError('the connect request does not fit in one message');
      await carrier.connectPool!(shellId, first, pool.#sink(), options.signal);
      await pool.#openedPromise;
    });
  }

  /** What open() and connect() share: `start` resolves once the pool is Opened; on failure the carrier is closed. */
  static async #establish(pool: RunspacePool, options: RunspacePoolOptions, start: () => Promise<void>): Promise<RunspacePool> {
    pool.#openedPromise = pool.#process.hold(new Promise<void>((resolve, reject) => (pool.#opened = { resolve, reject })));
    pool.#openedPromise.catch(() => undefined); // a failure while openPool is pending is thrown there
    try {
      await start();
      pool.#carrier.established?.();
      if (options.closeOnExit !== false) closeOnExit(pool);
      return pool;
    } catch (e) {
      pool.#fail(toError(e));
      await pool.#carrier.closePool().catch(() => undefined);
      throw e;
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
        this.#process.update();
        this.emit('disconnected', e);
      },
    };
  }

  /** Why the pool is Disconnected without a call to disconnect() (the network), if it is. */
  get disconnectReason(): Error | undefined { return this.#disconnectReason; }

  /**
   * Receive-PSSession: take up a pipeline that kept running on the server while
   * the pool was disconnected (or was started inDisconnectedSession), and
   * receive the rest of its output.
   */
  async receive(pipelineId: string, options: { host?: PSHost; signal?: AbortSignal } = {}): Promise<PowerShellInvocation> {
    if (!this.#carrier.receive) throw new UsageError('this carrier cannot receive from a running pipeline');
    const id = pipelineId.toLowerCase();
    const core = new ClientPowerShell(this.#core, { pipelineId: id });
    core.connect();
    const inv = new PowerShellInvocation(core, () => this.#stopPipeline(core), { shellId: this.runspacePoolId.toUpperCase() });
    this.#pipelines.add(id, { inv, core, host: options.host ?? this.#host });
    void this.#process.hold(inv.result().catch(() => undefined));
    await this.#carrier.receive(id, options.signal);
    return inv;
  }

  /**
   * The session as data (handle.ts): enough for any process to connect to it
   * again with connectSession(handle, { credential }). Never holds a secret.
   */
  handle(): SessionHandle {
    return handleFor(this, {
      runspacePoolId: this.#core.runspacePoolId,
      protocolVersion: this.#core.theirProtocolVersion,
      pipelineIds: [...this.#pipelines.entries()].map((e) => e.core.pipelineId),
    });
  }

  /**
   * Lets go of a Disconnected pool in this process: its connections close, the
   * session and its pipelines stay on the server for whoever holds the handle.
   */
  async release(): Promise<void> {
    if (this.#closed) return;
    if (this.#core.state !== RunspacePoolState.Disconnected) throw new InvalidStateError('release', this.state, ['Disconnected']);
    this.#closed = true;
    forgetOnExit(this);
    // Not #fail: finishing the pipelines here would Signal terminate to the server.
    this.#failure = new InvalidStateError('use', 'Released', ['Opened']);
    await originOf(this)?.release();
  }

  async #poolCall(ci: bigint | undefined, signal?: AbortSignal): Promise<boolean | bigint> {
    if (ci === undefined) return true; // applied locally (before open)
    const answer = this.#process.hold(this.#calls.answer(ci));
    await this.#flush(signal);
    return answer;
  }

  /** Resets the runspace's state (variables, history) to how it was opened (protocol ≥ 2.3). */
  async resetRunspaceState(signal?: AbortSignal): Promise<boolean> { return (await this.#poolCall(this.#core.resetRunspaceState(), signal)) === true; }

  /** How many runspaces of the pool are free right now. */
  async getAvailableRunspaces(signal?: AbortSignal): Promise<number> { return Number(await this.#poolCall(this.#core.getAvailableRunspaces(), signal)); }

  async setMaxRunspaces(n: number, signal?: AbortSignal): Promise<boolean> { return (await this.#poolCall(this.#core.setMaxRunspaces(n), signal)) === true; }

  async setMinRunspaces(n: number, signal?: AbortSignal): Promise<boolean> { return (await this.#poolCall(this.#core.setMinRunspaces(n), signal)) === true; }

  /**
   * Exchanges a session key with the server (MS-PSRP 3.1.4.8), so SecureStrings
   * can travel both ways. Done on demand before a host answer that holds one
   * (ReadLineAsSecureString, PromptForCredential, Prompt) and when the server asks
   * (PUBLIC_KEY_REQUEST); call it yourself before sending SecureStrings as
   * parameters or input. Protocol 2.4 has no exchange (nothing to do).
   */
  async exchangeKey(signal?: AbortSignal): Promise<void> {
    if (this.#failure) throw this.#failure;
    await this.#sessionKey.exchange(signal);
  }

  /** Disconnect-PSSession: the pool stays on the server; pipelines keep running there. */
  async disconnect(options: { idleTimeoutMs?: number; bufferMode?: 'Block' | 'Drop'; signal?: AbortSignal } = {}): Promise<void> {
    if (!this.#carrier.disconnect) throw new UsageError('this carrier cannot disconnect a pool');
    await this.#sends.settled;
    const { signal, ...o } = options;
    await this.#carrier.disconnect(o, signal);
    this.#core.markDisconnected();
    this.#process.update();
  }

  /** Connect-PSSession from this same client: resume receiving. */
  async reconnect(signal?: AbortSignal): Promise<void> {
    if (!this.#carrier.reconnect) throw new UsageError('this carrier cannot reconnect a pool');
    await this.#carrier.reconnect(signal);
    this.#core.markReconnected();
    this.#disconnectReason = undefined;
    this.#process.update();
  }

  get runspacePoolId(): string { return this.#core.runspacePoolId; }

  /** Largest PSRP payload one send carries now (the negotiated envelope, less its overhead). */
  get payloadBudget(): number { return this.#carrier.payloadBudget(); }

  /** 'Opened', 'Broken', 'Closed', … (the names of psrp/states.ts). */
  get state(): RunspacePoolStateName { return runspacePoolStateName(this.#core.state); }

  /** The protocol version the server reported (e.g. '2.3'). */
  get serverProtocolVersion(): string | undefined { return this.#core.theirProtocolVersion; }

  /** $PSSenderInfo.ApplicationPrivateData / PSVersionTable as the server sent them. */
  get applicationPrivateData(): PSValue { return this.#core.applicationPrivateData; }

  /**
   * What the pool holds right now (docs/sessions.md, "What a pool holds"): open
   * pipelines, calls and host calls waiting, messages and bytes buffered. Once
   * a pipeline has ended and its results were handed over, nothing counts it.
   */
  stats(): RunspacePoolStats { return poolStats(this.#core, this.#pipelines.size, this.#calls.size, this.#carrier, this.#process.holds); }

  /** Runs a script or a command on the pool. Output streams while it runs. */
  invoke(target: ScriptOrCommand, options: InvokeOptions = {}): PowerShellInvocation {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new InvalidStateError('invoke', 'Closed', ['Opened']);
    if (this.#core.state === RunspacePoolState.Disconnected) {
      throw new InvalidStateError('invoke', 'Disconnected', ['Opened'], this.#disconnectReason ? { cause: this.#disconnectReason } : undefined);
    }
    const hasInput = options.input !== undefined;
    const core = powerShellFor(this.#core, target, options, options.host ?? this.#host);
    const inv = new PowerShellInvocation(core, () => this.#stopPipeline(core), { retainOutput: options.streamOutput !== true, shellId: this.runspacePoolId.toUpperCase() });
    this.#pipelines.add(core.pipelineId, { inv, core, host: options.host ?? this.#host });
    if (!options.inDisconnectedSession) void this.#process.hold(inv.result().catch(() => undefined));
    if (options.inDisconnectedSession) {
      if (!this.#carrier.inDisconnectedSession) throw new UsageError('this carrier cannot leave output on the server');
      this.#carrier.inDisconnectedSession(core.pipelineId);
    }
    const started = this.#start(core, inv, options.signal);
    if (hasInput) {
      void pumpInput(core, options.input!, started, (s) => this.#flush(s), (e) => this.#pipelines.finish(core.pipelineId, e), options.signal);
    }
    if (options.signal) inv._stopOnAbort(options.signal);
    return inv;
  }

  /**
   * Get-Command on the server (GET_COMMAND_METADATA), what Import-PSSession uses:
   * names are wildcard patterns (default `*`), commandType CommandTypes flags
   * (default Alias|Function|Filter|Cmdlet), namespace module names.
   */
  async getCommandMetadata(
    options: { name?: readonly string[]; commandType?: number; namespace?: readonly string[]; argumentList?: readonly PSInput[]; pipelineId?: string; signal?: AbortSignal } = {},
  ): Promise<CommandMetadata[]> {
    if (this.#failure) throw this.#failure;
    if (this.#closed || this.#core.state !== RunspacePoolState.Opened) throw new InvalidStateError('get command metadata', this.state, ['Opened']);
    const core = commandMetadataPipeline(this.#core, options);
    const inv = new PowerShellInvocation(core, () => this.#stopPipeline(core), { shellId: this.runspacePoolId.toUpperCase() });
    this.#pipelines.add(core.pipelineId, { inv, core, host: this.#host });
    void this.#start(core, inv, options.signal);
    const result = await this.#process.hold(inv.result());
    return readCommandMetadata(result.output, `GET_COMMAND_METADATA ${core.pipelineId}`);
  }

  /** Starts a registered pipeline: resolves once its start is sent; if that fails, the pipeline ends. */
  #start(core: ClientPipelineBase, inv: PowerShellInvocation, signal: AbortSignal | undefined): Promise<void> {
    core.start();
    const started = this.#flush(signal);
    inv._setStarted(started);
    started.catch((e: unknown) => this.#pipelines.finish(core.pipelineId, e));
    return started;
  }

  async #stopPipeline(core: ClientPipelineBase): Promise<void> {
    if (core.state !== PSInvocationState.Running && core.state !== PSInvocationState.Stopping) return;
    core.beginStop();
    await this.#carrier.stopPipeline(core.pipelineId);
  }

  /** Sends everything the core has queued, in order, one payload at a time. */
  #flush(signal?: AbortSignal): Promise<void> {
    return this.#sends.flush(signal);
  }

  #receive(data: Uint8Array): void {
    if (this.#failure) return;
    try {
      this.#core.receiveData(data);
      for (let e = this.#core.nextEvent(); e !== undefined; e = this.#core.nextEvent()) this.#dispatch(e);
    } catch (e) {
      this.#fail(toError(e));
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
          this.#fail(new SessionError('PSR_SESSION_BROKEN', `the server reports the runspace pool ${this.state}`, { shellId: this.runspacePoolId.toUpperCase() }));
        }
        return;
      case 'EncryptedSessionKey':
        this.#sessionKey.received();
        return;
      case 'PublicKeyRequest':
        this.#sessionKey.requested();
        return;
      case 'RunspaceAvailability':
        this.#calls.answered(e.ci, e.response);
        return;
      case 'RunspacePoolHostCall':
        this.#hostCall(undefined, this.#host, { ci: e.ci, methodId: e.methodId, method: e.methodName, parameters: e.parameters, pipelineId: undefined });
        return;
      default:
        // Pipeline events reached their invocation already: the PSRP pipeline delivers them to its sink (pipelines.ts).
        return;
    }
  }

  #hostCall(pipeline: ClientPipelineBase | undefined, host: PSHost, call: HostCall & { readonly ci: bigint }): void {
    const pool = { core: this.#core, exchangeKey: () => this.exchangeKey(), flush: () => this.#flush() };
    const { pipelineId } = call;
    void answerHostCall(pool, pipeline, host, call, (e) => (pipelineId ? this.#pipelines.finish(pipelineId, e) : this.#fail(e as Error)));
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#opened?.reject(error);
    this.#calls.fail(error);
    this.#sessionKey.fail(error);
    this.#pipelines.finishAll(error);
  }

  /** Closes the pool on the server (WSMan Delete) and every connection. */
  async close(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    forgetOnExit(this);
    for (const { core } of this.#pipelines.entries()) await this.#stopPipeline(core).catch(() => undefined);
    try {
      if (this.#core.state !== RunspacePoolState.Closed) this.#core.close();
    } catch {
      // already broken: nothing to tell the server at the PSRP level
    }
    await this.#sends.settled;
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

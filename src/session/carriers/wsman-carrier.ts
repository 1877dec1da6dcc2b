// PSRP over WS-Management, the way the native client maps it (MS-PSRP 3.1.5,
// peers note C2–C5): Create with creationXml carries SESSION_CAPABILITY +
// INIT_RUNSPACEPOOL; ShellId is the RunspacePool id in upper case and every
// message carries one SessionId; a pool Receive is always outstanding while the
// pool is open (keep-alive: an idle shell with no Receive is disconnected by the
// server); a pipeline is a Command whose Arguments hold CREATE_PIPELINE, further
// data goes by Send (host responses on stream "pr"), stop is the
// `powershell/signal/crtl_c` signal, and Delete closes the pool.

import { decodeFragments, decodeMessage, type OutgoingPayload } from '../../psrp/index.js';
import {
  build,
  maxEnvelopeSize,
  maxPayloadBytes,
  powerShellCreateOptions,
  RESOURCE,
  SIGNAL,
  type EnvelopeSizePolicy,
  type ShellInfo,
  WSManFaultError,
} from '../../wsman/index.js';
import { SessionError, toError, UsageError } from '../../errors.js';
import type { CarrierSink, PsrpCarrier } from './carrier.js';
import type { WSManClient } from '../../winrm/wsman-client.js';
import { explainConnectFailure, sessionGone } from './connect-errors.js';
import { Backoff, isNetworkError, NetworkOutage, retryPause } from '../../winrm/network-retry.js';
import { systemClock, type Clock } from '../../util/clock.js';

export { isNetworkError };

export interface WSManCarrierOptions {
  /** Session configuration (JEA and custom endpoints); default Microsoft.PowerShell. */
  readonly configurationName?: string;
  /** ShellId to use instead of the RunspacePool id (replaying foreign recordings). */
  readonly shellId?: string;
  /** PSRP version advertised in the `protocolversion` option (default 2.3). */
  readonly protocolVersion?: string;
  readonly envelopeSize?: EnvelopeSizePolicy;
  /** Shell idle timeout (rsp:IdleTimeOut on Create). */
  readonly idleTimeoutMs?: number;
  /** Close the WSManClient (and its connections) when the pool closes. Default true. */
  readonly ownsClient?: boolean;
  /**
   * How long Receives are retried quietly while the network is down before the
   * pool is put in the Disconnected state (native robust connections: 4 minutes).
   * 0 disables retrying: the first network error breaks the pool.
   */
  readonly networkRetryMs?: number;
  /** First delay between retries; it doubles up to 10 s (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Time for the retry window and the pauses between retries (default the real clock; tests pass a ManualClock). */
  readonly clock?: Clock;
}

interface ReceiveLoop {
  readonly abort: AbortController;
  done: boolean;
}

export class WSManCarrier implements PsrpCarrier {
  readonly client: WSManClient;
  readonly resourceUri: string;
  readonly #opts: WSManCarrierOptions;
  #shellId: string | undefined;
  #shell: ShellInfo | undefined;
  #sink: CarrierSink | undefined;
  #closed = false;
  readonly #pipelines = new Map<string, ReceiveLoop>();
  #poolLoop: ReceiveLoop | undefined;
  #budget: number | undefined;
  readonly #held = new Set<string>();
  /** The outage the Receive loops are in, if any: one window for all of them. */
  readonly #outage: NetworkOutage;
  #netDisconnected = false;
  /**
   * The SequenceId of the next Receive, per command ('' for the pool's own
   * stream). It moves on only once an answer was delivered, so a Receive sent
   * again after a network failure (or after a Disconnect aborted it) repeats
   * its number and the server can answer it again (MS-WSMV 3.1.4.14).
   */
  readonly #receiveSeq = new Map<string, number>();
  /** The ShellId of a Create that failed without an answer: the server may have made it. */
  #orphanShellId: string | undefined;
  /** The pool reached Opened: only then does the quiet network-retry window apply. */
  #established = false;

  constructor(client: WSManClient, options: WSManCarrierOptions = {}) {
    this.client = client;
    this.#opts = options;
    this.#outage = new NetworkOutage(options.networkRetryMs ?? 240_000, options.clock ?? systemClock);
    this.resourceUri = RESOURCE.powershell(options.configurationName ?? 'Microsoft.PowerShell');
    this.client.maxEnvelopeSize = maxEnvelopeSize(options.envelopeSize ?? {});
  }

  get shellId(): string | undefined {
    return this.#shellId;
  }

  /** What the server said about the shell on Create (idle timeouts, owner…). */
  get shell(): ShellInfo | undefined {
    return this.#shell;
  }

  /** Requests this carrier sent, per WSMan operation (round-trip accounting). */
  readonly requestCounts: Record<string, number> = {};

  #count(op: string): void {
    this.requestCounts[op] = (this.requestCounts[op] ?? 0) + 1;
  }

  /** Receive loops of commands (and pipelines whose output is left on the server, not yet created). */
  held(): { readonly pipelines: number; readonly heldOutput: number } {
    return { pipelines: this.#pipelines.size, heldOutput: this.#held.size };
  }

  payloadBudget(): number {
    if (this.#budget === undefined) {
      // The largest request we send with data is a Send of one stream; measure it empty.
      const id = '00000000-0000-0000-0000-000000000000';
      const empty = build.send(
        { to: this.client.url, resourceUri: this.resourceUri, messageId: id, sessionId: id, operationTimeoutMs: 20_000, maxEnvelopeSize: this.client.maxEnvelopeSize },
        id,
        [{ name: 'stdin', commandId: id, data: new Uint8Array() }],
      );
      this.#budget = maxPayloadBytes(this.client.maxEnvelopeSize, empty);
    }
    return this.#budget;
  }

  negotiated(protocolVersion: string): void {
    const size = maxEnvelopeSize(this.#opts.envelopeSize ?? {}, protocolVersion);
    if (size !== this.client.maxEnvelopeSize) {
      this.client.maxEnvelopeSize = size;
      this.#budget = undefined;
    }
  }

  async openPool(first: OutgoingPayload, sink: CarrierSink, signal?: AbortSignal): Promise<void> {
    this.#sink = sink;
    const rpid = decodeMessage(decodeFragments(first.data)[0]!.blob).runspacePoolId;
    // wsman is case sensitive about ShellIds, and PowerShell always upper-cases them.
    const shellId = (this.#opts.shellId ?? rpid).toUpperCase();
    this.#count('Create');
    this.#shell = await this.#createShell(shellId, first, signal);
    this.#shellId = this.#shell.shellId || shellId;
    this.#poolLoop = this.#receiveLoop(undefined);
  }

  /** A Create that got no answer may still have made the shell: closePool deletes it by the id we chose. */
  async #createShell(shellId: string, first: OutgoingPayload, signal: AbortSignal | undefined): Promise<ShellInfo> {
    try {
      return await this.#create(shellId, first, signal);
    } catch (e) {
      if (isNetworkError(e)) this.#orphanShellId = shellId;
      throw e;
    }
  }

  async #create(shellId: string, first: OutgoingPayload, signal: AbortSignal | undefined): Promise<ShellInfo> {
    // AlreadyExists for the fresh GUID we chose: our own Create reached the server twice (a retry after a lost answer).
    const ours = (e: unknown) => (e instanceof WSManFaultError && e.kind === 'AlreadyExists' ? { shellId } : Promise.reject(e));
    return this.client.create(
      this.resourceUri,
      {
        shellId,
        inputStreams: 'stdin pr',
        outputStreams: 'stdout',
        creationXml: first.data,
        ...(this.#opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.#opts.idleTimeoutMs } : {}),
      },
      { options: powerShellCreateOptions(this.#opts.protocolVersion ?? '2.3'), ...(signal ? { signal } : {}) },
    ).catch(ours);
  }

  established(): void {
    this.#established = true;
  }

  #requireShell(): string {
    if (!this.#shellId || this.#closed) throw new UsageError('the runspace pool is not open');
    return this.#shellId;
  }

  async send(p: OutgoingPayload, signal?: AbortSignal): Promise<void> {
    const shellId = this.#requireShell();
    const call = signal ? { signal } : {};
    if (p.pipelineId !== undefined && !this.#pipelines.has(p.pipelineId)) {
      // The pipeline's first payload (CREATE_PIPELINE) is the Command's argument.
      const commandId = p.pipelineId.toUpperCase();
      const loop: ReceiveLoop = { abort: new AbortController(), done: false };
      this.#pipelines.set(p.pipelineId, loop);
      this.#count('Command');
      await this.client.command(this.resourceUri, shellId, { commandId, command: '', argumentsData: p.data }, call).catch((e: unknown) => {
        if (!(e instanceof WSManFaultError && e.kind === 'AlreadyExists')) throw e; // our CommandId: our own Command, twice
      });
      if (this.#held.delete(p.pipelineId)) loop.done = true;
      else void this.#runLoop(loop, commandId);
      return;
    }
    this.#count('Send');
    await this.client.send(
      this.resourceUri,
      shellId,
      [{ name: p.streamType === 'promptResponse' ? 'pr' : 'stdin', ...(p.pipelineId ? { commandId: p.pipelineId.toUpperCase() } : {}), data: p.data }],
      call,
    );
  }

  #receiveLoop(commandId: string | undefined): ReceiveLoop {
    const loop: ReceiveLoop = { abort: new AbortController(), done: false };
    void this.#runLoop(loop, commandId);
    return loop;
  }

  // The pump of one stream: Receive after Receive, each answer's data to the
  // sink; a network failure is paused on (the clock) and retried while the
  // shared outage window lasts, anything else ends the pool.
  async #runLoop(loop: ReceiveLoop, commandId: string | undefined): Promise<void> {
    const shellId = this.#shellId!;
    const backoff = new Backoff(this.#opts.retryDelayMs ?? 500);
    const seqKey = commandId ?? '';
    while (!this.#closed && !loop.done && !loop.abort.signal.aborted) {
      const sequenceId = this.#receiveSeq.get(seqKey) ?? 0;
      try {
        this.#count('Receive');
        const r = await this.client.receive(this.resourceUri, shellId, {
          sequenceId,
          streams: 'stdout',
          keepAlive: true,
          // The pool's own Receive only keeps the shell alive; the pool holds the process while someone waits.
          background: commandId === undefined,
          signal: loop.abort.signal,
          ...(commandId ? { commandId } : {}),
        });
        if (this.#closed || loop.abort.signal.aborted) return;
        this.#receiveSeq.set(seqKey, sequenceId + 1);
        if (this.#outage.recovered()) this.#sink?.resumed?.();
        backoff.reset();
        if (r.type === 'timeout') continue; // the long-poll simply renews
        // Done is noted before the data is delivered: the data may finish the pipeline at once.
        if (commandId && r.commandState?.state === 'Done') loop.done = true;
        for (const s of r.streams) if (s.data.length > 0) this.#sink?.payload(s.data);
      } catch (e) {
        if (this.#closed || loop.abort.signal.aborted || loop.done) return;
        if (commandId && e instanceof WSManFaultError && e.kind === 'ShellNotFound' && !this.#pipelines.has(commandId.toLowerCase())) return;
        const err = toError(e);
        // No quiet retry before the pool is open: a Create or an open that has not succeeded fails at once.
        const verdict = isNetworkError(err) && this.#established && !this.#netDisconnected ? this.#outage.failed() : 'fatal';
        if (verdict === 'over') return this.#outageOver(err);
        if (verdict === 'off' || verdict === 'fatal') {
          if (!this.#netDisconnected) this.#sink?.error(sessionGone(err, shellId, this.client.url) as Error);
          return;
        }
        if (verdict === 'interrupted') this.#sink?.interrupted?.(err);
        await retryPause(backoff.take(), loop.abort.signal, this.#outage.clock);
      }
    }
  }

  /** The retry window is over: stop every Receive and leave the pool to the server. */
  #outageOver(error: Error): void {
    this.#netDisconnected = true;
    this.#outage.reset();
    this.#poolLoop?.abort.abort();
    this.#poolLoop = undefined;
    for (const l of this.#pipelines.values()) l.abort.abort();
    const seconds = Math.round(this.#outage.windowMs / 1000);
    this.#sink?.disconnected?.(
      new SessionError(
        'PSR_SESSION_DISCONNECTED',
        `the network to ${this.client.url} failed for ${seconds} s (${error.message}); the session is Disconnected here and kept by the server until its idle timeout: reconnect it when the network is back`,
        { shellId: this.#shellId },
        { cause: error },
      ),
    );
  }

  async stopPipeline(pipelineId: string, signal?: AbortSignal): Promise<void> {
    const shellId = this.#requireShell();
    this.#count('Signal');
    await this.client.signal(this.resourceUri, shellId, SIGNAL.psCtrlC, { commandId: pipelineId.toUpperCase(), ...(signal ? { signal } : {}) });
  }

  pipelineFinished(pipelineId: string): void {
    const loop = this.#pipelines.get(pipelineId);
    this.#pipelines.delete(pipelineId);
    if (!loop) return;
    const finished = loop.done;
    loop.done = true;
    loop.abort.abort();
    // A command the server reported Done needs no Terminate; otherwise release it, off the critical path.
    if (!finished && this.#shellId && !this.#closed) {
      this.#count('Signal');
      void this.client.signal(this.resourceUri, this.#shellId, SIGNAL.terminate, { commandId: pipelineId.toUpperCase() }).catch(() => undefined);
    }
  }

  async disconnect(o: { idleTimeoutMs?: number; bufferMode?: 'Block' | 'Drop' }, signal?: AbortSignal): Promise<void> {
    const shellId = this.#requireShell();
    // No Receive may stay outstanding on a disconnected shell.
    this.#poolLoop?.abort.abort();
    this.#poolLoop = undefined;
    for (const l of this.#pipelines.values()) l.abort.abort();
    this.#count('Disconnect');
    await this.client.disconnect(this.resourceUri, shellId, { ...o, ...(signal ? { signal } : {}) }).catch((e: unknown) => {
      throw sessionGone(e, shellId, this.client.url);
    });
  }

  async reconnect(signal?: AbortSignal): Promise<void> {
    const shellId = this.#requireShell();
    const call = signal ? { signal } : {};
    this.#count('Reconnect');
    await this.client.reconnect(this.resourceUri, shellId, call).catch((e: unknown) => {
      throw sessionGone(e, shellId, this.client.url);
    });
    // Then each command that was running, by its own Reconnect (MS-PSRP 3.1.5.3.18), and receive again.
    const running = [...this.#pipelines.entries()].filter(([, l]) => !l.done);
    for (const [pid] of running) {
      this.#count('Reconnect');
      await this.client.reconnect(this.resourceUri, shellId, { ...call, commandId: pid.toUpperCase() });
    }
    this.#netDisconnected = false;
    this.#outage.reset();
    this.#poolLoop = this.#receiveLoop(undefined);
    for (const [pid] of running) {
      const loop: ReceiveLoop = { abort: new AbortController(), done: false };
      this.#pipelines.set(pid, loop);
      void this.#runLoop(loop, pid.toUpperCase());
    }
  }

  async connectPool(shellId: string, first: OutgoingPayload, sink: CarrierSink, signal?: AbortSignal): Promise<void> {
    this.#sink = sink;
    const id = shellId.toUpperCase();
    this.#count('Connect');
    const answer = await this.client
      .connect(this.resourceUri, id, {
        connectXml: first.data,
        protocolVersion: this.#opts.protocolVersion ?? '2.3',
        ...(signal ? { signal } : {}),
      })
      .catch(async (e: unknown) => {
        throw await explainConnectFailure(e, this.client, id, this.resourceUri);
      });
    // Only now is the shell ours: a refused Connect must not make closePool()
    // Delete a session that another client created.
    this.#shellId = id;
    if (answer && answer.length > 0) sink.payload(answer);
    this.#poolLoop = this.#receiveLoop(undefined);
  }

  holdOutput(pipelineId: string): void {
    this.#held.add(pipelineId);
  }

  async attachPipeline(pipelineId: string, signal?: AbortSignal): Promise<void> {
    const shellId = this.#requireShell();
    const commandId = pipelineId.toUpperCase();
    this.#count('Connect');
    await this.client.connect(this.resourceUri, shellId, { commandId, ...(signal ? { signal } : {}) });
    const loop: ReceiveLoop = { abort: new AbortController(), done: false };
    this.#pipelines.set(pipelineId, loop);
    void this.#runLoop(loop, commandId);
  }

  async closePool(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return;
    const shellId = this.#shellId;
    this.#closed = true;
    this.#poolLoop?.abort.abort();
    for (const l of this.#pipelines.values()) l.abort.abort();
    this.#pipelines.clear();
    try {
      if (shellId) await this.#delete(shellId, signal);
      // Best effort: a Create whose answer was lost may have made the shell.
      else if (this.#orphanShellId) await this.#delete(this.#orphanShellId, signal).catch(() => undefined);
    } finally {
      if (this.#opts.ownsClient ?? true) await this.client.close();
    }
  }

  /**
   * Delete is idempotent, so a transport failure (dropped, timed out, a proxy's
   * error page) is tried once more, and a shell the server no longer has
   * (removed, expired, or deleted by a first try whose answer was lost) is closed.
   */
  async #delete(shellId: string, signal: AbortSignal | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#count('Delete');
      try {
        await this.client.delete(this.resourceUri, shellId, signal ? { signal } : {});
        return;
      } catch (e) {
        if (e instanceof WSManFaultError && (e.kind === 'ShellNotFound' || e.kind === 'InvalidSelectors')) return;
        if (e instanceof WSManFaultError || attempt >= 2 || signal?.aborted) throw e;
      }
    }
  }
}

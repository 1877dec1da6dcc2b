// PSRP over WS-Management, the way the native client maps it (MS-PSRP 3.1.5,
// peers note C2–C5): Create with creationXml carries SESSION_CAPABILITY +
// INIT_RUNSPACEPOOL; ShellId is the RunspacePool id in upper case and every
// message carries one SessionId; a pool Receive is always outstanding while the
// pool is open (keep-alive: an idle shell with no Receive is disconnected by the
// server); a pipeline is a Command whose Arguments hold CREATE_PIPELINE, further
// data goes by Send (host responses on stream "pr"), stop is the
// `powershell/signal/crtl_c` signal, and Delete closes the pool.
// Every request comes from the shell core (wsman/client-shell.ts), which
// checks it against the shell's and the command's state and reads its answer;
// this file is the pump: the Receive loops, their quiet retry on the injected
// Clock, and the mapping of PSRP payloads onto WS-Management operations.

import { decodeFragments, decodeMessage, type OutgoingPayload } from '../../psrp/index.js';
import {
  build,
  maxEnvelopeSize,
  maxPayloadBytes,
  powerShellCreateOptions,
  RESOURCE,
  SIGNAL,
  eventOf,
  type ClientShell,
  type ClientShellEvent,
  type EnvelopeSizePolicy,
  type OutgoingRequest,
  type ShellInfo,
  WSManFaultError,
} from '../../wsman/index.js';
import { SessionError, toError, UsageError } from '../../errors.js';
import type { CarrierSink, PsrpCarrier } from './carrier.js';
import type { CallOptions, WSManClient } from '../../winrm/wsman-client.js';
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
  /** The Receive on the wire, given up on (abandoned in the core) when the loop is stopped. */
  req?: OutgoingRequest | undefined;
}

const newLoop = (): ReceiveLoop => ({ abort: new AbortController(), done: false });

export class WSManCarrier implements PsrpCarrier {
  readonly client: WSManClient;
  readonly resourceUri: string;
  readonly #opts: WSManCarrierOptions;
  /** The protocol state of the shell and its commands; every request comes from it. */
  #core: ClientShell | undefined;
  /** The ShellId once the shell is ours (created, or connected to): only then does closePool Delete it. */
  #shellId: string | undefined;
  #shell: ShellInfo | undefined;
  #sink: CarrierSink | undefined;
  #closed = false;
  readonly #pipelines = new Map<string, ReceiveLoop>();
  #poolLoop: ReceiveLoop | undefined;
  #budget: number | undefined;
  /** Pipelines started inDisconnectedSession: no Receive when their Command is answered. */
  readonly #inDisconnected = new Set<string>();
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

  /** Posts the request `make` gets from the core (its refusal is a rejection, as the server's would be). */
  async #post(core: ClientShell, make: () => OutgoingRequest, o: CallOptions = {}): Promise<ClientShellEvent[]> {
    const req = make();
    this.requestCounts[req.operation] = (this.requestCounts[req.operation] ?? 0) + 1;
    return this.client.shellRequest(core, req, o);
  }

  /** Receive loops of commands (and pipelines started inDisconnectedSession, whose output stays on the server). */
  held(): { readonly pipelines: number; readonly heldOutput: number } {
    return { pipelines: this.#pipelines.size, heldOutput: this.#inDisconnected.size };
  }

  payloadBudget(): number {
    if (this.#budget === undefined) {
      // The largest request we send with data is a Send of one stream; measure it empty (built, never sent).
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
    const core = (this.#core = this.client.shellCore(this.resourceUri));
    const body = {
      shellId,
      inputStreams: 'stdin pr',
      outputStreams: 'stdout',
      creationXml: first.data,
      ...(this.#opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: this.#opts.idleTimeoutMs } : {}),
    };
    let events: ClientShellEvent[];
    try {
      // AlreadyExists for the fresh GUID we chose is our own Create, twice: the core counts it created.
      events = await this.#post(core, () => core.create(body, powerShellCreateOptions(this.#opts.protocolVersion ?? '2.3')), signal ? { signal } : {});
    } catch (e) {
      // A Create that got no answer may still have made the shell: closePool deletes it by the id we chose.
      if (isNetworkError(e)) this.#orphanShellId = shellId;
      throw e;
    }
    this.#shell = eventOf(events, 'Created').shell;
    this.#shellId = this.#shell.shellId || shellId;
    this.#poolLoop = this.#receiveLoop(undefined);
  }

  established(): void {
    this.#established = true;
  }

  #requireCore(): ClientShell {
    if (!this.#shellId || !this.#core || this.#closed) throw new UsageError('the runspace pool is not open');
    return this.#core;
  }

  async send(p: OutgoingPayload, signal?: AbortSignal): Promise<void> {
    const core = this.#requireCore();
    const call = signal ? { signal } : {};
    if (p.pipelineId !== undefined && !this.#pipelines.has(p.pipelineId)) {
      // The pipeline's first payload (CREATE_PIPELINE) is the Command's argument; the CommandId is ours (AlreadyExists: our own Command, twice).
      const commandId = p.pipelineId.toUpperCase();
      const loop = newLoop();
      this.#pipelines.set(p.pipelineId, loop);
      await this.#post(core, () => core.startCommand({ commandId, command: '', argumentsData: p.data }), call);
      if (this.#inDisconnected.delete(p.pipelineId)) loop.done = true;
      else void this.#runLoop(loop, commandId);
      return;
    }
    const stream = { name: p.streamType === 'promptResponse' ? 'pr' : 'stdin', data: p.data };
    await this.#post(core, () => core.send(p.pipelineId?.toUpperCase(), [stream]), call);
  }

  #receiveLoop(commandId: string | undefined): ReceiveLoop {
    const loop = newLoop();
    void this.#runLoop(loop, commandId);
    return loop;
  }

  /** Stops a loop: its Receive on the wire is given up on, so the core may send another after a Reconnect. */
  #stop(loop: ReceiveLoop | undefined): void {
    if (!loop) return;
    loop.abort.abort();
    if (loop.req) this.#core?.abandon(loop.req);
    loop.req = undefined;
  }

  // The pump of one stream: Receive after Receive, each answer's data to the
  // sink; a network failure is paused on (the clock) and retried while the
  // shared outage window lasts, anything else ends the pool.
  async #runLoop(loop: ReceiveLoop, commandId: string | undefined): Promise<void> {
    const core = this.#core!;
    const shellId = this.#shellId!;
    const backoff = new Backoff(this.#opts.retryDelayMs ?? 500);
    const seqKey = commandId ?? '';
    while (!this.#closed && !loop.done && !loop.abort.signal.aborted) {
      const sequenceId = this.#receiveSeq.get(seqKey) ?? 0;
      try {
        const events = await this.#post(
          core,
          () => (loop.req = core.receive(commandId, { sequenceId, streams: 'stdout', keepAlive: true })),
          // The pool's own Receive only keeps the shell alive; the pool holds the process while someone waits.
          { background: commandId === undefined, signal: loop.abort.signal },
        );
        loop.req = undefined;
        if (this.#closed || loop.abort.signal.aborted) return;
        this.#receiveSeq.set(seqKey, sequenceId + 1);
        if (this.#outage.recovered()) this.#sink?.resumed?.();
        backoff.reset();
        // Done is noted before the data is delivered: the data may finish the pipeline at once.
        if (commandId && events.some((ev) => ev.type === 'CommandDone')) loop.done = true;
        for (const ev of events) if (ev.type === 'Output' && ev.data.length > 0) this.#sink?.payload(ev.data);
      } catch (e) {
        loop.req = undefined;
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
    this.#stop(this.#poolLoop);
    this.#poolLoop = undefined;
    for (const l of this.#pipelines.values()) this.#stop(l);
    if (this.#core?.state === 'Connected') this.#core.lost();
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
    const core = this.#requireCore();
    await this.#post(core, () => core.signal(pipelineId.toUpperCase(), SIGNAL.psCtrlC), signal ? { signal } : {});
  }

  pipelineFinished(pipelineId: string): void {
    const loop = this.#pipelines.get(pipelineId);
    this.#pipelines.delete(pipelineId);
    if (!loop) return;
    const finished = loop.done;
    loop.done = true;
    this.#stop(loop);
    // A command the server reported Done needs no Terminate; otherwise release it, off the critical path.
    const core = this.#core;
    if (!finished && core && this.#shellId && !this.#closed) {
      void this.#post(core, () => core.signal(pipelineId.toUpperCase(), SIGNAL.terminate)).catch(() => undefined);
    }
  }

  async disconnect(o: { idleTimeoutMs?: number; bufferMode?: 'Block' | 'Drop' }, signal?: AbortSignal): Promise<void> {
    const core = this.#requireCore();
    // No Receive may stay outstanding on a disconnected shell.
    this.#stop(this.#poolLoop);
    this.#poolLoop = undefined;
    for (const l of this.#pipelines.values()) this.#stop(l);
    const body = { ...(o.bufferMode ? { bufferMode: o.bufferMode } : {}), ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}) };
    await this.#post(core, () => core.disconnect(body), signal ? { signal } : {}).catch((e: unknown) => {
      throw sessionGone(e, this.#shellId!, this.client.url);
    });
  }

  async reconnect(signal?: AbortSignal): Promise<void> {
    const core = this.#requireCore();
    const call = signal ? { signal } : {};
    await this.#post(core, () => core.reconnect(), call).catch((e: unknown) => {
      throw sessionGone(e, this.#shellId!, this.client.url);
    });
    // Then each command that was running, by its own Reconnect (MS-PSRP 3.1.5.3.18), and receive again.
    const running = [...this.#pipelines.entries()].filter(([, l]) => !l.done);
    for (const [pid] of running) await this.#post(core, () => core.reconnectCommand(pid.toUpperCase()), call);
    this.#netDisconnected = false;
    this.#outage.reset();
    this.#poolLoop = this.#receiveLoop(undefined);
    for (const [pid] of running) {
      const loop = newLoop();
      this.#pipelines.set(pid, loop);
      void this.#runLoop(loop, pid.toUpperCase());
    }
  }

  async connectPool(shellId: string, first: OutgoingPayload, sink: CarrierSink, signal?: AbortSignal): Promise<void> {
    this.#sink = sink;
    const id = shellId.toUpperCase();
    const core = (this.#core = this.client.shellCore(this.resourceUri, { shellId: id }));
    const connect = () => core.connect({ connectXml: first.data, protocolVersion: this.#opts.protocolVersion ?? '2.3' });
    const events = await this.#post(core, connect, signal ? { signal } : {}).catch(async (e: unknown) => {
      throw await explainConnectFailure(e, this.client, id, this.resourceUri);
    });
    // Only now is the shell ours: a refused Connect must not make closePool()
    // Delete a session that another client created.
    this.#shellId = id;
    const answer = eventOf(events, 'Connected').connectResponseXml;
    if (answer && answer.length > 0) sink.payload(answer);
    this.#poolLoop = this.#receiveLoop(undefined);
  }

  inDisconnectedSession(pipelineId: string): void {
    this.#inDisconnected.add(pipelineId);
  }

  async receive(pipelineId: string, signal?: AbortSignal): Promise<void> {
    const core = this.#requireCore();
    const commandId = pipelineId.toUpperCase();
    await this.#post(core, () => core.connectCommand(commandId), signal ? { signal } : {});
    const loop = newLoop();
    this.#pipelines.set(pipelineId, loop);
    void this.#runLoop(loop, commandId);
  }

  async closePool(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return;
    const shellId = this.#shellId;
    this.#closed = true;
    this.#stop(this.#poolLoop);
    for (const l of this.#pipelines.values()) this.#stop(l);
    this.#pipelines.clear();
    try {
      if (shellId && this.#core) await this.#delete(this.#core, signal);
      // Best effort: a Create whose answer was lost may have made the shell.
      else if (this.#orphanShellId) await this.#delete(this.client.shellCore(this.resourceUri, { shellId: this.#orphanShellId, created: true }), signal).catch(() => undefined);
    } finally {
      if (this.#opts.ownsClient ?? true) await this.client.close();
    }
  }

  /**
   * Delete is idempotent, so a transport failure (dropped, timed out, a proxy's
   * error page) is tried once more; a shell the server no longer has (removed,
   * expired, or deleted by a first try whose answer was lost) the core counts deleted.
   */
  async #delete(core: ClientShell, signal: AbortSignal | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#post(core, () => core.delete(), signal ? { signal } : {});
        return;
      } catch (e) {
        if (e instanceof WSManFaultError || attempt >= 2 || signal?.aborted) throw e;
      }
    }
  }
}

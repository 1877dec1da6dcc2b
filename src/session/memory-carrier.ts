// A carrier that links a RunspacePool to psremote's own in-process PSRP server
// (ServerRunspacePool) with scripted pipelines. Tests use it to exercise the
// session layer without any network, and the local endpoint's scripted engine
// will run the same handlers. Payloads are delivered asynchronously, as a
// network would.

import {
  ServerRunspacePool,
  type OutgoingPayload,
  type PsrpEvent,
  type PSValue,
  type ServerPipeline,
  type ServerPipelineRequest,
} from '../psrp/index.js';
import { RecordStream } from './stream.js';
import type { CarrierSink, PsrpCarrier } from './carrier.js';

export interface ScriptContext {
  readonly request: ServerPipelineRequest;
  /** The first command's text (the script, for invoke('…')). */
  readonly commandText: string;
  /** Named parameters and positional arguments of the first command. */
  readonly parameters: readonly { name: string | null; value: PSValue }[];
  output(value: PSValue): void;
  error(record: PSValue): void;
  warning(record: PSValue): void;
  verbose(record: PSValue): void;
  debug(record: PSValue): void;
  information(record: PSValue): void;
  progress(record: PSValue): void;
  /** Calls the client's host and waits for its answer (rejects with the host's error). */
  hostCall(methodId: number, methodName: string, parameters?: readonly PSValue[]): Promise<PSValue | undefined>;
  /** Pipeline input as it arrives. */
  readonly input: AsyncIterable<PSValue>;
  /** Aborted when the client stops the pipeline. */
  readonly signal: AbortSignal;
}

/** Runs one pipeline; resolve to complete it, throw to fail it with the message. */
export type ScriptHandler = (ctx: ScriptContext) => void | Promise<void>;

export interface MemoryCarrierOptions {
  readonly handler: ScriptHandler;
  readonly protocolVersion?: string;
  readonly budget?: number;
  /** Fail openPool with this error (a host that is down). */
  readonly openError?: Error;
}

export class MemoryCarrier implements PsrpCarrier {
  readonly server: ServerRunspacePool;
  readonly requestCounts: Record<string, number> = {};
  readonly #opts: MemoryCarrierOptions;
  #sink: CarrierSink | undefined;
  readonly #running = new Map<string, { abort: AbortController; input: RecordStream<PSValue>; hostWaiters: Map<bigint, { resolve: (v: PSValue | undefined) => void; reject: (e: Error) => void }> }>();
  readonly #created = new Set<string>();

  constructor(options: MemoryCarrierOptions) {
    this.#opts = options;
    this.server = new ServerRunspacePool({ protocolVersion: options.protocolVersion ?? '2.3' });
  }

  payloadBudget(): number {
    return this.#opts.budget ?? 32_768;
  }

  #count(op: string): void {
    this.requestCounts[op] = (this.requestCounts[op] ?? 0) + 1;
  }

  async openPool(first: OutgoingPayload, sink: CarrierSink): Promise<void> {
    this.#count('Create');
    if (this.#opts.openError) throw this.#opts.openError;
    this.#sink = sink;
    this.#deliver(first);
  }

  async send(p: OutgoingPayload): Promise<void> {
    if (p.pipelineId && !this.#created.has(p.pipelineId)) {
      this.#created.add(p.pipelineId);
      this.#count('Command');
    } else this.#count('Send');
    this.#deliver(p);
  }

  async stopPipeline(pipelineId: string): Promise<void> {
    this.#count('Signal');
    const run = this.#running.get(pipelineId);
    const sp = this.server.pipelines.get(pipelineId);
    if (!run || !sp) return;
    run.abort.abort();
    sp.stop();
    this.#flush();
  }

  pipelineFinished(pipelineId: string): void {
    this.#created.delete(pipelineId);
  }

  async closePool(): Promise<void> {
    this.#count('Delete');
    for (const r of this.#running.values()) r.abort.abort();
    this.#sink = undefined;
  }

  #deliver(p: OutgoingPayload): void {
    this.server.receiveData(p.data);
    for (let e = this.server.nextEvent(); e !== undefined; e = this.server.nextEvent()) this.#onServerEvent(e);
    this.#flush();
  }

  #onServerEvent(e: PsrpEvent): void {
    switch (e.type) {
      case 'InitRunspacePool':
        this.server.open();
        return;
      case 'CreatePipeline': {
        const sp = this.server.pipelines.get(e.pipelineId!);
        if (sp) this.#run(sp);
        return;
      }
      case 'PipelineInput':
        this.#running.get(e.pipelineId!)?.input.push(e.value);
        return;
      case 'EndOfPipelineInput':
        this.#running.get(e.pipelineId!)?.input.end();
        return;
      case 'PipelineHostResponse': {
        const w = this.#running.get(e.pipelineId!)?.hostWaiters;
        const waiter = w?.get(e.ci);
        w?.delete(e.ci);
        if (e.error !== undefined) waiter?.reject(new Error(typeof e.error === 'string' ? e.error : 'host call failed'));
        else waiter?.resolve(e.result);
        return;
      }
      default:
        return;
    }
  }

  #run(sp: ServerPipeline): void {
    const abort = new AbortController();
    const input = new RecordStream<PSValue>();
    const hostWaiters = new Map<bigint, { resolve: (v: PSValue | undefined) => void; reject: (e: Error) => void }>();
    this.#running.set(sp.pipelineId, { abort, input, hostWaiters });
    if (sp.request.kind !== 'CreatePipeline' || sp.request.noInput) input.end();
    sp.start();
    const first = sp.request.kind === 'CreatePipeline' ? sp.request.pipeline.statements[0]?.[0] : undefined;
    const live = () => !abort.signal.aborted && this.server.pipelines.has(sp.pipelineId);
    const write = (f: () => void) => {
      if (!live()) return;
      f();
      this.#flush();
    };
    const ctx: ScriptContext = {
      request: sp.request,
      commandText: first?.command ?? '',
      parameters: (first?.parameters ?? []).map((p) => ({ name: p.name, value: p.value })),
      output: (v) => write(() => sp.writeOutput(v)),
      error: (v) => write(() => sp.writeError(v)),
      warning: (v) => write(() => sp.writeWarning(v)),
      verbose: (v) => write(() => sp.writeVerbose(v)),
      debug: (v) => write(() => sp.writeDebug(v)),
      information: (v) => write(() => sp.writeInformation(v)),
      progress: (v) => write(() => sp.writeProgress(v)),
      hostCall: (methodId, methodName, parameters = []) =>
        new Promise((resolve, reject) => {
          if (!live()) return reject(new Error('pipeline stopped'));
          const ci = sp.hostCall(methodId, methodName, parameters);
          if (ci < 0n) resolve(undefined);
          else hostWaiters.set(ci, { resolve, reject });
          this.#flush();
        }),
      input,
      signal: abort.signal,
    };
    // Run after the current delivery, as a server would.
    setImmediate(() => {
      Promise.resolve()
        .then(() => this.#opts.handler(ctx))
        .then(
          () => {
            if (live()) sp.complete();
          },
          (err: unknown) => {
            if (live()) sp.fail((err as Error)?.message ?? String(err));
          },
        )
        .finally(() => {
          this.#running.delete(sp.pipelineId);
          this.#flush();
        });
    });
  }

  #flush(): void {
    const out: Uint8Array[] = [];
    for (let p = this.server.dataToSend(this.payloadBudget()); p !== undefined; p = this.server.dataToSend(this.payloadBudget())) out.push(p.data);
    if (out.length === 0) return;
    setImmediate(() => {
      for (const d of out) this.#sink?.payload(d);
    });
  }
}

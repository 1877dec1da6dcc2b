// The pipelines running on a pool, by id: each one's invocation (what the
// caller holds), its PSRP core and the host that answers its calls. Each PSRP
// pipeline core delivers its events (output, records, host calls, end) to the
// sink made here for its invocation, once; and this file builds the PSRP
// pipeline an invoke() asks for.

import { randomUUID } from 'node:crypto';
import {
  ClientPowerShell,
  isTerminalPipelineState,
  type ClientPipelineBase,
  type ClientRunspacePool,
  type MessageEvent,
  type PipelineEventSink,
} from '../psrp/index.js';
import type { PsrpCarrier } from './carriers/carrier.js';
import type { PSHost } from './host/host.js';
import type { InvokeOptions, ScriptOrCommand } from './pool-options.js';
import type { PowerShellInvocation } from './powershell.js';
import { hostInfoFor } from './host/raw-ui.js';

export interface PipelineEntry {
  readonly inv: PowerShellInvocation;
  readonly core: ClientPipelineBase;
  readonly host: PSHost;
}

export class Pipelines {
  readonly #entries = new Map<string, PipelineEntry>();
  readonly #carrier: PsrpCarrier;
  readonly #hostCall: (entry: PipelineEntry, call: MessageEvent<'PipelineHostCall'>) => void;

  /** `hostCall` answers a pipeline's host call with that pipeline's host. */
  constructor(carrier: PsrpCarrier, hostCall: (entry: PipelineEntry, call: MessageEvent<'PipelineHostCall'>) => void) {
    this.#carrier = carrier;
    this.#hostCall = hostCall;
  }

  /** Follows a pipeline: from now on its core delivers what it receives to `entry.inv`. */
  add(pipelineId: string, entry: PipelineEntry): void {
    this.#entries.set(pipelineId, entry);
    entry.core.sink = this.#sinkFor(pipelineId, entry);
  }

  get(pipelineId: string): PipelineEntry | undefined {
    return this.#entries.get(pipelineId);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The running pipelines (a live view: ones finished meanwhile are skipped). */
  entries(): IterableIterator<PipelineEntry> {
    return this.#entries.values();
  }

  /** Ends the invocation (with `error`, if given) and forgets the pipeline. */
  finish(pipelineId: string, error?: unknown): void {
    const entry = this.#entries.get(pipelineId);
    if (!entry) return;
    this.#entries.delete(pipelineId);
    entry.inv._finish(error);
    if (isTerminalPipelineState(entry.core.state)) entry.core.close();
    this.#carrier.pipelineFinished(pipelineId);
  }

  finishAll(error: unknown): void {
    for (const id of [...this.#entries.keys()]) this.finish(id, error);
  }

  // Late events of a pipeline already finished here (its core may live on) change nothing.
  #sinkFor(pipelineId: string, entry: PipelineEntry): PipelineEventSink {
    const live = () => this.#entries.get(pipelineId) === entry;
    return {
      output: (value) => live() && entry.inv.output.push(value),
      record: (stream, record) => live() && entry.inv.streams[stream].push(record),
      hostCall: (call) => live() && this.#hostCall(entry, call),
      state: (state) => live() && isTerminalPipelineState(state) && this.finish(pipelineId),
    };
  }
}

/** The PSRP pipeline for RunspacePool.invoke(target, options), its host `host`. */
export function powerShellFor(pool: ClientRunspacePool, target: ScriptOrCommand, options: InvokeOptions, host: PSHost): ClientPowerShell {
  const core = new ClientPowerShell(pool, {
    pipelineId: options.pipelineId ?? randomUUID(),
    noInput: options.input === undefined,
    addToHistory: options.addToHistory ?? false,
    ...(options.nested ? { isNested: true } : {}),
    // What PowerShell's own client sends (the PowerShell class defaults to true):
    // with false, the real engine fails the whole script at the first statement
    // error (`1/0; 'after'`) instead of writing it and going on.
    redirectShellErrorOutputPipe: options.redirectShellErrorOutputPipe ?? true,
    // Read at each pipeline, as PowerShell's client reads its host's RawUI: the
    // server starts each pipeline's raw UI from the defaults declared here.
    hostInfo: hostInfoFor(host.rawUI),
  });
  if (typeof target === 'string') core.addScript(target);
  else {
    if ('script' in target) core.addScript(target.script, target.useLocalScope !== undefined ? { useLocalScope: target.useLocalScope } : {});
    else core.addCommand(target.command);
    for (const [k, v] of Object.entries(target.parameters ?? {})) core.addParameter(k, v);
    for (const a of target.arguments ?? []) core.addArgument(a);
  }
  return core;
}

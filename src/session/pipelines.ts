// The pipelines running on a pool, by id: each one's invocation (what the
// caller holds), its PSRP core and the host that answers its calls. Routes the
// PSRP core's pipeline events (output, records, end) to the invocation, and
// builds the PSRP pipeline an invoke() asks for.

import { randomUUID } from 'node:crypto';
import {
  ClientPowerShell,
  PSInvocationState,
  type ClientPipelineBase,
  type ClientRunspacePool,
  type PsrpEvent,
} from '../psrp/index.js';
import type { PsrpCarrier } from './carriers/carrier.js';
import type { PSHost } from './host/host.js';
import type { InvokeOptions, ScriptOrCommand } from './pool-options.js';
import type { PowerShellInvocation } from './powershell.js';
import { hostInfoFor } from './host/raw-ui.js';

const TERMINAL = new Set<number>([PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped]);

export interface PipelineEntry {
  readonly inv: PowerShellInvocation;
  readonly core: ClientPipelineBase;
  readonly host: PSHost;
}

export class Pipelines {
  readonly #entries = new Map<string, PipelineEntry>();
  readonly #carrier: PsrpCarrier;

  constructor(carrier: PsrpCarrier) {
    this.#carrier = carrier;
  }

  add(pipelineId: string, entry: PipelineEntry): void {
    this.#entries.set(pipelineId, entry);
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
    if (TERMINAL.has(entry.core.state)) entry.core.close();
    this.#carrier.pipelineFinished(pipelineId);
  }

  finishAll(error: unknown): void {
    for (const id of [...this.#entries.keys()]) this.finish(id, error);
  }

  /** Hands a pipeline event to its invocation; other events are left alone. */
  route(e: PsrpEvent): void {
    switch (e.type) {
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
        if (e.pipelineId && TERMINAL.has(e.state)) this.finish(e.pipelineId);
        return;
      default:
        return;
    }
  }

  #inv(pipelineId: string | undefined): PowerShellInvocation | undefined {
    return pipelineId ? this.#entries.get(pipelineId)?.inv : undefined;
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
    if ('script' in target) core.addScript(target.script);
    else core.addCommand(target.command);
    for (const [k, v] of Object.entries(target.parameters ?? {})) core.addParameter(k, v);
    for (const a of target.arguments ?? []) core.addArgument(a);
  }
  return core;
}

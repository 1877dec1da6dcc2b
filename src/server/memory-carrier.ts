// A carrier that links a RunspacePool to psremote's own in-process PSRP server
// (ScriptedEngine) with scripted pipelines. Tests use it to exercise the
// session layer without any network. Payloads are delivered asynchronously, as a
// network would.

import type { OutgoingPayload } from '../psrp/index.js';
import type { CarrierSink, PsrpCarrier } from '../session/carriers/carrier.js';
import { ScriptedEngine, type ScriptHandler } from './scripted-engine.js';

export type { ScriptContext, ScriptHandler } from './scripted-engine.js';

export interface MemoryCarrierOptions {
  readonly handler: ScriptHandler;
  readonly protocolVersion?: string;
  readonly budget?: number;
  /** Fail openPool with this error (a host that is down). */
  readonly openError?: Error;
}

export class MemoryCarrier implements PsrpCarrier {
  readonly engine: ScriptedEngine;
  readonly requestCounts: Record<string, number> = {};
  readonly #opts: MemoryCarrierOptions;
  #sink: CarrierSink | undefined;
  readonly #created = new Set<string>();

  constructor(options: MemoryCarrierOptions) {
    this.#opts = options;
    this.engine = new ScriptedEngine({
      handler: options.handler,
      ...(options.protocolVersion ? { protocolVersion: options.protocolVersion } : {}),
      ...(options.budget ? { budget: options.budget } : {}),
    });
    this.engine.onPayload = (p) => {
      setImmediate(() => this.#sink?.payload(p.data));
    };
  }

  get server() {
    return this.engine.server;
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
    this.engine.receive(first.data);
  }

  async send(p: OutgoingPayload): Promise<void> {
    if (p.pipelineId && !this.#created.has(p.pipelineId)) {
      this.#created.add(p.pipelineId);
      this.#count('Command');
    } else this.#count('Send');
    this.engine.receive(p.data);
  }

  async stopPipeline(pipelineId: string): Promise<void> {
    this.#count('Signal');
    this.engine.stop(pipelineId);
  }

  pipelineFinished(pipelineId: string): void {
    this.#created.delete(pipelineId);
  }

  async closePool(): Promise<void> {
    this.#count('Delete');
    this.engine.close();
    this.#sink = undefined;
  }
}

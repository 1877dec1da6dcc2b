// One pipeline run on a RunspacePool, as the caller sees it: an async iterable
// of output objects while it runs, the other streams beside it, stop(), and
// result() for those who want everything at the end.

import { PsRemoteError } from '../errors.js';
import { psInvocationStateName, type ClientPipelineBase, type PSValue } from '../psrp/index.js';
import { RecordStream } from './stream.js';

export type InvocationStateName = 'NotStarted' | 'Running' | 'Stopping' | 'Stopped' | 'Completed' | 'Failed' | 'Disconnected';


/** The remote pipeline failed; `errorRecord` is the ErrorRecord the server sent. */
export class PipelineFailedError extends PsRemoteError {
  readonly errorRecord: PSValue;
  readonly pipelineId: string;
  /** The session's shell (its runspace pool id, as Get-PSSession shows it), when known. */
  readonly shellId: string | undefined;
  constructor(pipelineId: string, errorRecord: PSValue, reason: string, shellId?: string) {
    super('PSR_PIPELINE_FAILED', `the pipeline failed: ${reason}`);
    this.errorRecord = errorRecord;
    this.pipelineId = pipelineId;
    this.shellId = shellId;
  }
}

export interface InvocationStreams {
  readonly error: RecordStream<PSValue>;
  readonly warning: RecordStream<PSValue>;
  readonly verbose: RecordStream<PSValue>;
  readonly debug: RecordStream<PSValue>;
  readonly information: RecordStream<PSValue>;
  readonly progress: RecordStream<PSValue>;
}

/** Everything a pipeline produced, one field per stream, named as `streams` names them. */
export interface InvocationResult {
  readonly output: readonly PSValue[];
  readonly error: readonly PSValue[];
  readonly warning: readonly PSValue[];
  readonly verbose: readonly PSValue[];
  readonly debug: readonly PSValue[];
  readonly information: readonly PSValue[];
  readonly progress: readonly PSValue[];
  /** True when the pipeline wrote to the error stream. */
  readonly hadErrors: boolean;
  readonly state: InvocationStateName;
}

/** A human-readable reason from whatever the server sent as the failure. */
export function describeError(error: unknown): string {
  if (typeof error === 'string') return error;
  const seen = new Set<unknown>();
  const find = (v: unknown, depth: number): string | undefined => {
    if (depth > 6 || v === null || typeof v !== 'object' || seen.has(v)) return undefined;
    seen.add(v);
    const o = v as { extended?: Map<string, unknown>; adapted?: Map<string, unknown>; toStringText?: string };
    for (const key of ['Message', 'ErrorRecord', 'Exception', 'SerializedRemoteException']) {
      const x = o.extended?.get(key) ?? o.adapted?.get(key);
      if (typeof x === 'string' && key === 'Message') return x;
      const inner = find(x, depth + 1);
      if (inner) return inner;
    }
    return typeof o.toStringText === 'string' ? o.toStringText : undefined;
  };
  return find(error, 0) ?? 'the server reported a failure';
}

export class PowerShellInvocation implements AsyncIterable<PSValue> {
  readonly pipelineId: string;
  readonly output: RecordStream<PSValue>;
  readonly streams: InvocationStreams = {
    error: new RecordStream(),
    warning: new RecordStream(),
    verbose: new RecordStream(),
    debug: new RecordStream(),
    information: new RecordStream(),
    progress: new RecordStream(),
  };
  readonly #core: ClientPipelineBase;
  readonly #stop: () => Promise<void>;
  #started: Promise<void> = Promise.resolve();
  readonly #done: Promise<InvocationResult>;
  #resolve!: (r: InvocationResult) => void;
  #reject!: (e: unknown) => void;

  /** @internal created by RunspacePool.invoke */
  readonly #shellId: string | undefined;
  constructor(core: ClientPipelineBase, stop: () => Promise<void>, options: { retainOutput?: boolean; shellId?: string } = {}) {
    this.output = new RecordStream<PSValue>({ retain: options.retainOutput !== false });
    this.pipelineId = core.pipelineId;
    this.#core = core;
    this.#stop = stop;
    this.#shellId = options.shellId;
    this.#done = new Promise((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    // result() may never be awaited when the caller only iterates.
    this.#done.catch(() => undefined);
  }

  /** Resolves once the server has the pipeline (WSMan: the Command was answered). */
  get started(): Promise<void> {
    return this.#started;
  }

  /** @internal */
  _setStarted(p: Promise<void>): void {
    this.#started = p;
    p.catch(() => undefined);
  }

  get state(): InvocationStateName {
    return psInvocationStateName(this.#core.state) as InvocationStateName;
  }

  [Symbol.asyncIterator](): AsyncIterator<PSValue> {
    return this.output[Symbol.asyncIterator]();
  }

  /** Everything the pipeline produced; rejects with PipelineFailedError if it failed. */
  result(): Promise<InvocationResult> {
    return this.#done;
  }

  /** Stops the pipeline (Stop-Job / Ctrl+C); resolves when the server confirms. */
  async stop(): Promise<void> {
    if (this.output.ended) return;
    await this.#stop();
    await this.#done.catch(() => undefined);
  }

  /** @internal Stop-on-abort for InvokeOptions.signal: the listener goes when the pipeline ends. */
  _stopOnAbort(signal: AbortSignal): void {
    const onAbort = () => void this.stop().catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    const off = () => signal.removeEventListener('abort', onAbort);
    this.#done.then(off, off);
  }

  /** @internal */
  _finish(error?: unknown): void {
    const state = this.state;
    const all = [this.output, ...Object.values(this.streams)];
    let failure: unknown = error;
    if (failure === undefined && state === 'Failed') {
      const record = this.#core.error ?? null;
      failure = new PipelineFailedError(this.pipelineId, record, describeError(record), this.#shellId);
    }
    for (const s of all) s.end(s === this.output ? failure : undefined);
    if (failure !== undefined) {
      this.#reject(failure);
      return;
    }
    this.#resolve({
      output: this.output.items,
      error: this.streams.error.items,
      warning: this.streams.warning.items,
      verbose: this.streams.verbose.items,
      debug: this.streams.debug.items,
      information: this.streams.information.items,
      progress: this.streams.progress.items,
      hadErrors: this.streams.error.items.length > 0,
      state,
    });
  }
}

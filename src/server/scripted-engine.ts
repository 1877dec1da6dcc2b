// psremote's own PowerShell "engine" for tests and the local endpoint: the
// in-process PSRP server state machine (ServerRunspacePool) with pipelines run
// by a script handler instead of PowerShell. Bytes from the client go in with
// `receive`; bytes for the client come out through `onPayload`, tagged with the
// pipeline they belong to (WSMan routes them to that command's Receive).

import { randomBytes } from 'node:crypto';
import {
  ServerRunspacePool,
  type OutgoingPayload,
  type PsrpEvent,
  type PSInput,
  type PSValue,
  type ServerPipeline,
  type ServerPipelineRequest,
} from '../psrp/index.js';
import { describeError } from '../session/powershell.js';
import { RecordStream } from '../session/stream.js';
import { unwrapShellInput } from './script-wrappers.js';
import type { DelegatedCredential } from '../auth/credssp/delegated.js';
import { AbortError } from '../errors.js';
import { HostCallFailedError } from '../session/host/host.js';

export interface ScriptContext {
  readonly request: ServerPipelineRequest;
  /** The first command's text (the script, for invoke('…')). */
  readonly commandText: string;
  /** Named parameters and positional arguments of the first command. */
  readonly parameters: readonly { name: string | null; value: PSInput }[];
  output(value: PSInput): void;
  error(record: PSInput): void;
  warning(record: PSInput): void;
  verbose(record: PSInput): void;
  debug(record: PSInput): void;
  information(record: PSInput): void;
  progress(record: PSInput): void;
  /** Calls the client's host and waits for its answer (rejects with the host's error). */
  hostCall(methodId: number, methodName: string, parameters?: readonly PSValue[]): Promise<PSInput | undefined>;
  /** Pipeline input as it arrives. */
  readonly input: AsyncIterable<PSInput>;
  /** Aborted when the client stops the pipeline. */
  readonly signal: AbortSignal;
  /** Who is connected, as `$PSSenderInfo` tells a PowerShell session. */
  readonly senderInfo: SenderInfo;
}

/** The connected user, and with CredSSP whose credentials the client delegated (never the password). */
export interface SenderInfo {
  readonly userName: string;
  readonly delegatedUser?: string;
  /** CredSSP: the delegated credential, for a handler that makes the second hop (prints as the user only). */
  readonly delegatedCredential?: DelegatedCredential;
}

/** Runs one pipeline; resolve to complete it, throw to fail it with the message. */
export type ScriptHandler = (ctx: ScriptContext) => void | Promise<void>;

export interface ScriptedEngineOptions {
  readonly handler: ScriptHandler;
  readonly protocolVersion?: string;
  /** Largest payload handed to onPayload (default 32 KiB). */
  readonly budget?: number;
  /** Who opened the shell (default: nobody authenticated). */
  readonly senderInfo?: SenderInfo;
}

interface Running {
  readonly abort: AbortController;
  readonly input: RecordStream<PSInput>;
  readonly hostWaiters: Map<bigint, { resolve: (v: PSInput | undefined) => void; reject: (e: Error) => void }>;
}

export class ScriptedEngine {
  readonly server: ServerRunspacePool;
  /** Called with every payload for the client, in order. */
  onPayload: (payload: OutgoingPayload) => void = () => undefined;
  /** Called when a pipeline has sent its final state. */
  onPipelineDone: (pipelineId: string) => void = () => undefined;
  readonly #opts: ScriptedEngineOptions;
  readonly #running = new Map<string, Running>();
  #closed = false;

  constructor(options: ScriptedEngineOptions) {
    this.#opts = options;
    // A session key ready for the client's PUBLIC_KEY (SecureStrings), as PowerShell makes one per session.
    this.server = new ServerRunspacePool({ protocolVersion: options.protocolVersion ?? '2.3', sessionKey: new Uint8Array(randomBytes(32)) });
  }

  /** PSRP data from the client. */
  receive(data: Uint8Array): void {
    this.server.receiveData(data);
    for (let e = this.server.nextEvent(); e !== undefined; e = this.server.nextEvent()) this.#onEvent(e);
    this.flush();
  }

  /** The client asked to stop a pipeline (WSMan crtl_c signal). */
  stop(pipelineId: string): void {
    const run = this.#running.get(pipelineId);
    const sp = this.server.pipelines.get(pipelineId);
    if (!run || !sp) return;
    run.abort.abort();
    sp.stop();
    this.flush();
  }

  /** Pipelines alive in the PSRP server or its handlers, and the bytes queued or half-received. */
  held(): { pipelines: number; bufferedBytes: number } {
    const h = this.server.held;
    return { pipelines: Math.max(this.server.pipelines.size, this.#running.size), bufferedBytes: h.pendingBytes + h.receivedBytes };
  }

  isRunning(pipelineId: string): boolean {
    return this.server.pipelines.has(pipelineId);
  }

  close(): void {
    this.#closed = true;
    for (const r of this.#running.values()) r.abort.abort();
  }

  #onEvent(e: PsrpEvent): void {
    switch (e.type) {
      case 'InitRunspacePool':
        this.server.open();
        return;
      case 'ConnectRunspacePool':
        this.server.acceptConnect();
        return;
      case 'GetAvailableRunspaces':
        this.server.runspaceAvailability(e.ci, BigInt(Math.max(0, this.server.maxRunspaces - this.#running.size)));
        return;
      case 'ResetRunspaceState':
        // A script handler keeps no runspace state to reset.
        this.server.runspaceAvailability(e.ci, true);
        return;
      case 'CreatePipeline':
      case 'GetCommandMetadata': {
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
        if (e.error !== undefined) waiter?.reject(new HostCallFailedError(describeError(e.error)));
        else waiter?.resolve(e.result);
        return;
      }
      default:
        return;
    }
  }

  #run(sp: ServerPipeline): void {
    const abort = new AbortController();
    const input = new RecordStream<PSInput>();
    const hostWaiters: Running['hostWaiters'] = new Map();
    this.#running.set(sp.pipelineId, { abort, input, hostWaiters });
    if (sp.request.kind !== 'CreatePipeline' || sp.request.noInput) input.end();
    sp.start();
    const first = sp.request.kind === 'CreatePipeline' ? sp.request.pipeline.statements[0]?.[0] : undefined;
    const live = () => !abort.signal.aborted && !this.#closed && this.server.pipelines.has(sp.pipelineId);
    const write = (f: () => void) => {
      if (!live()) return;
      f();
      this.flush();
    };
    const ctx: ScriptContext = {
      request: sp.request,
      commandText: unwrapShellInput(first?.command ?? ''),
      parameters: (first?.parameters ?? []).map((p) => ({ name: p.name, value: p.value })),
      output: (v) => write(() => sp.writeOutput(v)),
      error: (v) => write(() => sp.writeRecord('error', v)),
      warning: (v) => write(() => sp.writeRecord('warning', v)),
      verbose: (v) => write(() => sp.writeRecord('verbose', v)),
      debug: (v) => write(() => sp.writeRecord('debug', v)),
      information: (v) => write(() => sp.writeRecord('information', v)),
      progress: (v) => write(() => sp.writeRecord('progress', v)),
      hostCall: (methodId, methodName, parameters = []) =>
        new Promise((resolve, reject) => {
          if (!live()) return reject(new AbortError('pipeline stopped'));
          const ci = sp.hostCall(methodId, methodName, parameters);
          if (ci < 0n) resolve(undefined);
          else hostWaiters.set(ci, { resolve, reject });
          this.flush();
        }),
      input,
      signal: abort.signal,
      senderInfo: this.#opts.senderInfo ?? { userName: '' },
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
          this.flush();
          this.onPipelineDone(sp.pipelineId);
        });
    });
  }

  /** Hands every queued payload to onPayload. */
  flush(): void {
    const budget = this.#opts.budget ?? 32_768;
    for (let p = this.server.dataToSend(budget); p !== undefined; p = this.server.dataToSend(budget)) this.onPayload(p);
  }
}

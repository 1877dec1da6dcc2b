// What carries PSRP payloads between a RunspacePool and its server: WS-Management
// (Create/Command/Send/Receive/Signal/Delete), OutOfProc over a process or SSH,
// or memory in tests. The session layer pumps the sans-I/O PSRP core through
// this interface and never sees the carrier's protocol.

import type { OutgoingPayload } from '../../psrp/index.js';

export interface CarrierSink {
  /** PSRP data arrived (whole fragments) for the pool or one of its pipelines. */
  payload(data: Uint8Array): void;
  /** The carrier failed for good (the pool is Broken). */
  error(error: Error): void;
  /** The network failed; the carrier is retrying quietly (native: "attempting to reconnect"). */
  interrupted?(error: Error): void;
  /** The network came back within the retry window: nothing was lost. */
  resumed?(): void;
  /**
   * The network stayed down for the whole retry window: the carrier stopped
   * receiving and the pool is Disconnected on this side; the server keeps it
   * (and its pipelines) until its idle timeout, so `reconnect()` can resume.
   */
  disconnected?(error: Error): void;
}

export interface PsrpCarrier {
  /** Largest PSRP payload one send may carry, in bytes. */
  payloadBudget(): number;
  /** Opens the pool with its first payload (SESSION_CAPABILITY + INIT_RUNSPACEPOOL) and starts receiving. */
  openPool(first: OutgoingPayload, sink: CarrierSink, signal?: AbortSignal): Promise<void>;
  /**
   * Sends one payload. The first payload of a pipeline holds CREATE_PIPELINE: the
   * carrier creates the command with it (and starts receiving for it).
   */
  send(payload: OutgoingPayload, signal?: AbortSignal): Promise<void>;
  /** Asks the server to stop a running pipeline (WSMan: Signal powershell/signal/crtl_c). */
  stopPipeline(pipelineId: string, signal?: AbortSignal): Promise<void>;
  /** The pipeline finished: release it on the server; never awaited on the critical path. */
  pipelineFinished(pipelineId: string): void;
  /** The server reported its protocol version (WSMan raises the envelope size at ≥ 2.2). */
  negotiated?(protocolVersion: string): void;
  /**
   * The pool reached Opened (open or connect succeeded): from now on a network
   * failure under a Receive may be retried quietly. Before it, none is: an
   * open that has not succeeded fails at once.
   */
  established?(): void;
  /** Closes the pool (WSMan Delete) and the carrier's connections. */
  closePool(signal?: AbortSignal): Promise<void>;
  /** Disconnect-PSSession: stop receiving and tell the server (carriers that support it). */
  disconnect?(options: { idleTimeoutMs?: number; bufferMode?: 'Block' | 'Drop' }, signal?: AbortSignal): Promise<void>;
  /** Connect-PSSession from the same client: resume the disconnected pool. */
  reconnect?(signal?: AbortSignal): Promise<void>;
  /**
   * Connect to a pool created by another client: `first` holds SESSION_CAPABILITY +
   * CONNECT_RUNSPACEPOOL; the answer (RUNSPACEPOOL_INIT_DATA…) goes to the sink.
   */
  connectPool?(shellId: string, first: OutgoingPayload, sink: CarrierSink, signal?: AbortSignal): Promise<void>;
  /**
   * Do not receive for this pipeline when it is created (Invoke-Command
   * -InDisconnectedSession): its output stays on the server for a later client.
   */
  inDisconnectedSession?(pipelineId: string): void;
  /** Receive-PSSession: start receiving for a pipeline that runs on a connected pool (WSMan: Connect with its CommandId). */
  receive?(pipelineId: string, signal?: AbortSignal): Promise<void>;
  /** What the carrier holds per pipeline (RunspacePool.stats()), when it tells. */
  held?(): { readonly pipelines: number };
  /** Requests per operation, when the carrier counts them. */
  readonly requestCounts?: Readonly<Record<string, number>>;
}

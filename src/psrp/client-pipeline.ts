// What every client pipeline (MS-PSRP 3.1.4.3-3.1.4.5) shares: its state, the
// events the pool routes to it and the host calls waiting for an answer. The
// kinds are ClientPowerShell and ClientGetCommandMetadata (client-powershell.ts).
// They only queue messages on their pool; stopping is a state change here and
// a signal the transport sends (WSMan Signal crtl_c, OutOfProc <Signal>).

import { RemoteProtocolError } from '../errors.js';
import { normalizeGuid } from '../util/guid.js';
import { HostCallTable, type PendingHostCall } from './host-call-table.js';
import type { PSInput, PSValue } from './message-types.js';
import { RECORD_STREAMS } from './message.js';
import type { ClientPipelinePool, PipelineEvent, PipelineEventSink } from './pipeline-link.js';
import { CLIENT_PIPELINE_ACTIONS, PSInvocationState, guardPipeline, isTerminalPipelineState } from './states.js';

export abstract class ClientPipelineBase {
  readonly pool: ClientPipelinePool;
  /** Lower-case GUID (WSMan CommandId is its upper-case form). */
  readonly pipelineId: string;
  protected _state: PSInvocationState = PSInvocationState.NotStarted;
  /** ErrorRecord from the final PIPELINE_STATE, if any. */
  protected _error: PSValue | undefined = undefined;
  readonly #hostCalls = new HostCallTable();
  /** Where received events go once applied here (the layer above sets it; none: they are only applied). */
  sink: PipelineEventSink | undefined;

  constructor(pool: ClientPipelinePool, pipelineId: string) {
    this.pool = pool;
    this.pipelineId = normalizeGuid(pipelineId);
    pool._register(this);
  }

  get state(): PSInvocationState {
    return this._state;
  }

  /** The ErrorRecord that came with a Failed/Stopped state. */
  get error(): PSValue | undefined {
    return this._error;
  }

  /** Host calls received and not answered yet. */
  get pendingHostCalls(): ReadonlyMap<bigint, PendingHostCall> {
    return this.#hostCalls.pending;
  }

  protected guard(action: keyof typeof CLIENT_PIPELINE_ACTIONS): void {
    guardPipeline(CLIENT_PIPELINE_ACTIONS, action, this._state);
  }

  /** Queue the creating message (CREATE_PIPELINE or GET_COMMAND_METADATA). */
  start(): void {
    this.guard('start');
    this.pool._guardCreatePipeline();
    this.queueCreate();
    this._state = PSInvocationState.Running;
    this._error = undefined;
  }

  protected abstract queueCreate(): void;

  /**
   * Attach to a pipeline that already runs on the server (after the pool's
   * connect(): Receive-PSSession, C5 3d). Nothing is sent; the transport
   * connects the command and receives its output.
   */
  connect(): void {
    this.guard('connect');
    this.pool._guardCreatePipeline();
    this._state = PSInvocationState.Running;
  }

  /**
   * Mark the pipeline Stopping (3.1.4.4). The transport sends the stop signal;
   * the server answers with PIPELINE_STATE Stopped.
   */
  beginStop(): void {
    this.guard('beginStop');
    this._state = PSInvocationState.Stopping;
  }

  /** Answer a PIPELINE_HOST_CALL (3.1.5.4.28) on the prompt-response stream. */
  hostResponse(ci: bigint, answer: { result?: PSInput; error?: PSInput }): void {
    this.guard('hostResponse');
    const call = this.#hostCalls.take(ci, 'pipeline');
    this.pool._queue(
      'PipelineHostResponse',
      { ci, methodId: call.methodId, methodName: call.methodName, result: answer.result, error: answer.error },
      this.pipelineId,
      'promptResponse',
    );
  }

  /** Forget the pipeline (after it finished, or before it started). */
  close(): void {
    this.guard('close');
    this.pool._unregister(this);
  }

  /** @internal The pool routes each event addressed to this pipeline here, once. */
  _deliver(event: PipelineEvent): void {
    if (this._state === PSInvocationState.NotStarted) {
      throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `${event.type} for pipeline ${this.pipelineId}, which was not started`, {
        where: 'client pipeline',
      });
    }
    const sink = this.sink;
    switch (event.type) {
      case 'PipelineState':
        if (!Number.isInteger(event.state) || event.state < 0 || event.state > 6) {
          throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `PIPELINE_STATE with unknown state ${event.state}`, {
            where: `client pipeline ${this.pipelineId}`,
          });
        }
        // 3.1.5.4.21: ignored unless running.
        if (!isTerminalPipelineState(this._state)) {
          this._state = event.state as PSInvocationState;
          if (event.error !== undefined) this._error = event.error;
        }
        sink?.state(event.state as PSInvocationState, event.error);
        return;
      case 'PipelineHostCall':
        this.#hostCalls.received(event);
        sink?.hostCall(event);
        return;
      case 'PipelineOutput':
        sink?.output(event.value);
        return;
      default:
        // What is left are the record messages; RECORD_STREAMS has a stream for each of them.
        sink?.record(RECORD_STREAMS[event.type], event.record);
    }
  }

  /** @internal */
  _poolGone(): void {
    if (!isTerminalPipelineState(this._state) && this._state !== PSInvocationState.NotStarted) {
      this._state = PSInvocationState.Stopped;
    }
  }

  /** @internal */
  _disconnected(): void {
    if (this._state === PSInvocationState.Running || this._state === PSInvocationState.Stopping) {
      this._state = PSInvocationState.Disconnected;
    }
  }

  /** @internal */
  _reconnected(): void {
    if (this._state === PSInvocationState.Disconnected) this._state = PSInvocationState.Running;
  }
}


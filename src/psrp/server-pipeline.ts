// The server side of a pipeline (MS-PSRP 3.2.4.x, 3.2.5.4.x): created by the
// ServerRunspacePool when CREATE_PIPELINE or GET_COMMAND_METADATA arrives.
// The layer above runs it and reports through write*/hostCall/complete/fail/
// stop, each of which queues the matching message. Real servers send no
// PIPELINE_STATE Running, only the final state, and so does this one.

import { RemoteProtocolError, UsageError } from '../errors.js';
import type { MessageEvent, PsrpEvent } from './events.js';
import type { CreatePipelineBody, GetCommandMetadataBody, PSInput, PSValue } from './message-types.js';
import { RECORD_STREAMS, type RecordStreamName } from './message.js';
import type { ServerPipelinePool } from './pipeline-link.js';
import { NO_RESPONSE_CALL_ID, hostMethodReturnsValue } from './messages.js';
import { InvalidProtocolVersionError, PSInvocationState, SERVER_PIPELINE_ACTIONS, guardPipeline } from './states.js';

/**
 * What the server writes is any PSInput; the bodies are typed as the client
 * decodes them (PSValue). A queued body is only ever serialized, and the writer
 * takes any PSInput, so this is where the two meet.
 */
const sent = (v: PSInput): PSValue => v as PSValue;

const RECORD_MESSAGES = Object.fromEntries(Object.entries(RECORD_STREAMS).map(([message, stream]) => [stream, message])) as {
  readonly [S in RecordStreamName]: keyof typeof RECORD_STREAMS;
};

export type ServerPipelineRequest =
  | ({ readonly kind: 'CreatePipeline' } & CreatePipelineBody)
  | ({ readonly kind: 'GetCommandMetadata' } & GetCommandMetadataBody);

export class ServerPipeline {
  readonly pool: ServerPipelinePool;
  readonly pipelineId: string;
  /** What the client asked for. */
  readonly request: ServerPipelineRequest;
  #state: PSInvocationState = PSInvocationState.NotStarted;
  #inputEnded = false;
  #nextCallId = 1n;
  readonly #hostCalls = new Map<bigint, { methodId: number; methodName: string }>();

  /** @internal created by ServerRunspacePool */
  constructor(
    pool: ServerPipelinePool,
    pipelineId: string,
    event: MessageEvent<'CreatePipeline'> | MessageEvent<'GetCommandMetadata'>,
  ) {
    this.pool = pool;
    this.pipelineId = pipelineId;
    const { type, runspacePoolId: _r, pipelineId: _p, ...body } = event;
    this.request = { kind: type, ...body } as ServerPipelineRequest;
  }

  get state(): PSInvocationState {
    return this.#state;
  }

  /** True once END_OF_PIPELINE_INPUT arrived. */
  get inputEnded(): boolean {
    return this.#inputEnded;
  }

  get pendingHostCalls(): ReadonlyMap<bigint, { methodId: number; methodName: string }> {
    return this.#hostCalls;
  }

  #guard(action: keyof typeof SERVER_PIPELINE_ACTIONS): void {
    guardPipeline(SERVER_PIPELINE_ACTIONS, action, this.#state);
  }

  /** Mark the pipeline running (nothing is sent, as on Windows). */
  start(): void {
    this.#guard('start');
    this.#state = PSInvocationState.Running;
  }

  writeOutput(value: PSInput): void {
    this.#guard('write');
    this.pool._queue('PipelineOutput', { value: sent(value) }, this.pipelineId);
  }
  /** One record of a stream beside output; INFORMATION_RECORD exists from protocol 2.3 on. */
  writeRecord(stream: RecordStreamName, record: PSInput): void {
    this.#guard('write');
    if (stream === 'information' && !this.pool._featureSupported('InformationStream')) {
      throw new InvalidProtocolVersionError('write an information record', 'InformationStream', this.pool.protocolVersion);
    }
    this.pool._queue(RECORD_MESSAGES[stream], { record: sent(record) }, this.pipelineId);
  }

  /** Call a method on the client's host for this pipeline; returns the call id. */
  hostCall(methodId: number, methodName: string, parameters: readonly PSValue[] = []): bigint {
    this.#guard('hostCall');
    // Void methods carry ci -100 and get no response, as on Windows.
    const ci = hostMethodReturnsValue(methodId) ? this.#nextCallId++ : NO_RESPONSE_CALL_ID;
    if (ci !== NO_RESPONSE_CALL_ID) this.#hostCalls.set(ci, { methodId, methodName });
    this.pool._queue('PipelineHostCall', { ci, methodId, methodName, parameters }, this.pipelineId);
    return ci;
  }

  #finish(state: PSInvocationState, error?: PSValue): void {
    this.#state = state;
    this.pool._queue('PipelineState', { state, error }, this.pipelineId);
    this.pool._unregister(this);
  }

  complete(): void {
    this.#guard('complete');
    this.#finish(PSInvocationState.Completed);
  }

  /** End with Failed and the ErrorRecord that explains it. */
  fail(error?: PSValue): void {
    this.#guard('fail');
    this.#finish(PSInvocationState.Failed, error);
  }

  /** The stop signal arrived: mark Stopping (the layer above then calls stop()). */
  beginStop(): void {
    this.#guard('beginStop');
    this.#state = PSInvocationState.Stopping;
  }

  /** End with Stopped (PowerShell adds a PipelineStoppedException ErrorRecord). */
  stop(error?: PSValue): void {
    this.#guard('stop');
    this.#finish(PSInvocationState.Stopped, error);
  }

  /** @internal */
  _poolGone(): void {
    if (this.#state === PSInvocationState.NotStarted || this.#state === PSInvocationState.Running || this.#state === PSInvocationState.Stopping) {
      this.#state = PSInvocationState.Stopped;
    }
  }

  /** @internal */
  _process(event: PsrpEvent): void {
    const where = `server pipeline ${this.pipelineId}`;
    switch (event.type) {
      case 'PipelineInput':
        if (this.request.kind !== 'CreatePipeline' || this.request.noInput) {
          throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', 'PIPELINE_INPUT for a pipeline created with NoInput', { where });
        }
        if (this.#inputEnded) throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', 'PIPELINE_INPUT after END_OF_PIPELINE_INPUT', { where });
        return;
      case 'EndOfPipelineInput':
        if (this.#inputEnded) throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', 'a second END_OF_PIPELINE_INPUT', { where });
        this.#inputEnded = true;
        return;
      case 'PipelineHostResponse':
        if (!this.#hostCalls.delete(event.ci)) {
          throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `host response for unknown ci ${event.ci}`, { where });
        }
        return;
      default:
        throw new UsageError(`${event.type} is not routed to pipelines`);
    }
  }
}

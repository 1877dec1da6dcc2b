// How a RunspacePool and its pipelines see each other. The client pool routes
// each pipeline event once, to the pipeline it is addressed to, which applies
// it and hands it to its sink (the layer above: one PowerShell invocation).
// The server pool creates its pipelines, which queue their messages on it.
// Each side names the other through an interface of this file, so pool and
// pipeline files import in one direction only (no cycle, type-only included).

import type { MessageEvent, PsrpEvent } from './events.js';
import type { MessageTypeName, RecordStreamName } from './message.js';
import type { MessageBodies, PSValue } from './message-types.js';
import type { StreamType } from './pool-core.js';
import type { FeatureName, PSInvocationState } from './states.js';

/** The messages a server sends to one pipeline (3.1.5.4.19-3.1.5.4.28). */
export const PIPELINE_EVENT_TYPES = [
  'PipelineState',
  'PipelineOutput',
  'ErrorRecord',
  'DebugRecord',
  'VerboseRecord',
  'WarningRecord',
  'ProgressRecord',
  'InformationRecord',
  'PipelineHostCall',
] as const satisfies readonly MessageTypeName[];
export type PipelineEventType = (typeof PIPELINE_EVENT_TYPES)[number];
export type PipelineEvent = { [K in PipelineEventType]: MessageEvent<K> }[PipelineEventType];

const PIPELINE_EVENT_TYPE_SET: ReadonlySet<string> = new Set(PIPELINE_EVENT_TYPES);

export function isPipelineEvent(event: PsrpEvent): event is PipelineEvent {
  return PIPELINE_EVENT_TYPE_SET.has(event.type);
}

/**
 * Where a client pipeline delivers what it receives, after applying it to its
 * own state: one call per event, in the order the server sent them.
 */
export interface PipelineEventSink {
  output(value: PSValue): void;
  record(stream: RecordStreamName, record: PSValue): void;
  hostCall(call: MessageEvent<'PipelineHostCall'>): void;
  /** Every PIPELINE_STATE, also one the pipeline ignores because it already ended. */
  state(state: PSInvocationState, error: PSValue | undefined): void;
}

/** What a client pipeline needs of its pool (client-pool.ts). */
export interface ClientPipelinePool {
  readonly protocolVersion: string;
  _register(p: { readonly pipelineId: string }): void;
  _unregister(p: { readonly pipelineId: string }): void;
  _guardCreatePipeline(): void;
  _queue<K extends MessageTypeName>(type: K, body: MessageBodies[K], pipelineId: string, stream?: StreamType): void;
}

/** What a server pipeline needs of its pool (server-pool.ts). */
export interface ServerPipelinePool {
  readonly protocolVersion: string;
  _queue<K extends MessageTypeName>(type: K, body: MessageBodies[K], pipelineId: string): void;
  _featureSupported(feature: FeatureName): boolean;
  _unregister(p: { readonly pipelineId: string }): void;
}

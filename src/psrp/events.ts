// Events: one member per message type, discriminated by `type` (the
// MessageType key, e.g. 'PipelineOutput'), plus 'UnknownMessage' for message
// types this implementation does not know. Handle them with an exhaustive
// switch ending in assertNever, so a new member is a compile error.

import type { MessageTypeName } from './message.js';
import type { MessageBodies } from './message-types.js';
import { InternalError } from '../errors.js';

interface EventBase {
  /** Lower-case GUID of the pool. */
  readonly runspacePoolId: string;
  /** Lower-case GUID of the pipeline; undefined for pool messages. */
  readonly pipelineId: string | undefined;
}

export type MessageEvent<K extends MessageTypeName> = EventBase & { readonly type: K } & MessageBodies[K];

/** A message whose type is not in MS-PSRP 2.2.1: kept, not fatal. */
export interface UnknownMessageEvent extends EventBase {
  readonly type: 'UnknownMessage';
  readonly messageType: number;
  /** The message data as text (CLIXML, normally). */
  readonly clixml: string;
}

export type PsrpEvent = { [K in MessageTypeName]: MessageEvent<K> }[MessageTypeName] | UnknownMessageEvent;
export type PsrpEventType = PsrpEvent['type'];

export function assertNever(x: never, what = 'value'): never {
  throw new InternalError(`unexpected ${what}: ${JSON.stringify(x)}`);
}

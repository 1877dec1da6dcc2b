// Message bodies <-> CLIXML for every MS-PSRP 2.2.2 message type. The shapes
// follow the spec sections and what Windows sends (the pypsrp recordings);
// where they differ, spec-notes/ms-psrp.md says so. All clixml access goes
// through clixml-bridge.ts.
//
// This module dispatches on the message type; the body shapes live by family:
// messages-pool.ts (session and runspace pool), messages-pipeline.ts
// (CREATE_PIPELINE, the PowerShell structure, GET_COMMAND_METADATA,
// PIPELINE_STATE), messages-host.ts (HostInfo, host calls and responses), on
// top of messages-reader.ts. Bodies that are a bare value (PIPELINE_INPUT/OUTPUT,
// the *_RECORD messages) are handled here.

import { InternalError, RemoteProtocolError } from '../errors.js';
import * as X from './clixml-bridge.js';
import type { SessionKeyCipher } from './key-exchange.js';
import { MessageType, messageTypeSpecName, type MessageTypeName, type MessageTypeValue } from './message.js';
import type { HostCallBody, HostResponseBody, MessageBodies, PSInput, PSValue } from './message-types.js';
import { hostCallFromValue, hostCallToValue, hostResponseFromValue, hostResponseToValue } from './messages-host.js';
import * as Pipeline from './messages-pipeline.js';
import * as Pool from './messages-pool.js';
import { Reader } from './messages-reader.js';

export {
  HOST_METHOD_NAMES,
  VOID_HOST_METHODS,
  NO_RESPONSE_CALL_ID,
  hostMethodReturnsValue,
} from './messages-host.js';

export interface BodyCodecContext {
  /** Session key cipher for <SS>; undefined before the key exchange. */
  readonly cipher?: SessionKeyCipher | undefined;
  /** Negotiated protocol version (decides optional properties). */
  readonly protocolVersion?: string | undefined;
}

type B = MessageBodies;
type AnyBody = B[MessageTypeName];

// ---------------------------------------------------------------------------
// encode

function bodyToValue(type: MessageTypeValue, body: AnyBody): PSValue | undefined {
  switch (type) {
    case MessageType.SessionCapability:
      return Pool.sessionCapabilityToValue(body as B['SessionCapability']);
    case MessageType.InitRunspacePool:
      return Pool.initRunspacePoolToValue(body as B['InitRunspacePool']);
    case MessageType.PublicKey:
      return Pool.publicKeyToValue(body as B['PublicKey']);
    case MessageType.EncryptedSessionKey:
      return Pool.encryptedSessionKeyToValue(body as B['EncryptedSessionKey']);
    case MessageType.PublicKeyRequest:
      return '';
    case MessageType.SetMaxRunspaces:
      return Pool.setMaxRunspacesToValue(body as B['SetMaxRunspaces']);
    case MessageType.SetMinRunspaces:
      return Pool.setMinRunspacesToValue(body as B['SetMinRunspaces']);
    case MessageType.RunspaceAvailability:
      return Pool.runspaceAvailabilityToValue(body as B['RunspaceAvailability']);
    case MessageType.RunspacePoolState:
      return Pool.runspacePoolStateToValue(body as B['RunspacePoolState']);
    case MessageType.CreatePipeline:
      return Pipeline.createPipelineToValue(body as B['CreatePipeline']);
    case MessageType.GetAvailableRunspaces:
      return Pool.callIdToValue(body as B['GetAvailableRunspaces']);
    case MessageType.UserEvent:
      return Pool.userEventToValue(body as B['UserEvent']);
    case MessageType.ApplicationPrivateData:
      return Pool.applicationPrivateDataToValue(body as B['ApplicationPrivateData']);
    case MessageType.GetCommandMetadata:
      return Pipeline.getCommandMetadataToValue(body as B['GetCommandMetadata']);
    case MessageType.RunspacePoolHostCall:
    case MessageType.PipelineHostCall:
      return hostCallToValue(body as HostCallBody);
    case MessageType.RunspacePoolHostResponse:
    case MessageType.PipelineHostResponse:
      return hostResponseToValue(body as HostResponseBody);
    case MessageType.PipelineInput:
    case MessageType.PipelineOutput:
      return (body as B['PipelineOutput']).value;
    case MessageType.EndOfPipelineInput:
      return undefined;
    case MessageType.ErrorRecord:
    case MessageType.DebugRecord:
    case MessageType.VerboseRecord:
    case MessageType.WarningRecord:
    case MessageType.ProgressRecord:
    case MessageType.InformationRecord:
      return (body as B['ErrorRecord']).record;
    case MessageType.PipelineState:
      return Pipeline.pipelineStateToValue(body as B['PipelineState']);
    case MessageType.ConnectRunspacePool:
      return Pool.connectRunspacePoolToValue(body as B['ConnectRunspacePool']);
    case MessageType.RunspacePoolInitData:
      return Pool.runspacePoolInitDataToValue(body as B['RunspacePoolInitData']);
    case MessageType.ResetRunspaceState:
      return Pool.callIdToValue(body as B['ResetRunspaceState']);
    default: {
      const never: never = type;
      throw new InternalError(`no encoder for message type ${String(never)}`);
    }
  }
}

/** Serialize a typed body to the UTF-8 Data field (no BOM). */
export function encodeBody<K extends MessageTypeName>(
  type: (typeof MessageType)[K],
  body: MessageBodies[K],
  ctx: BodyCodecContext = {},
): Uint8Array {
  const value = bodyToValue(type, body);
  if (value === undefined) return new Uint8Array(0);
  return new TextEncoder().encode(X.serializeValue(value, ctx));
}

// ---------------------------------------------------------------------------
// decode

function valueToBody(type: MessageTypeValue, v: PSValue, r: Reader): AnyBody {
  switch (type) {
    case MessageType.SessionCapability:
      return Pool.sessionCapabilityFromValue(r);
    case MessageType.InitRunspacePool:
      return Pool.initRunspacePoolFromValue(r);
    case MessageType.PublicKey:
      return Pool.publicKeyFromValue(r);
    case MessageType.EncryptedSessionKey:
      return Pool.encryptedSessionKeyFromValue(r);
    case MessageType.PublicKeyRequest:
      return {};
    case MessageType.SetMaxRunspaces:
      return Pool.setMaxRunspacesFromValue(r);
    case MessageType.SetMinRunspaces:
      return Pool.setMinRunspacesFromValue(r);
    case MessageType.RunspaceAvailability:
      return Pool.runspaceAvailabilityFromValue(r);
    case MessageType.RunspacePoolState:
      return Pool.runspacePoolStateFromValue(r);
    case MessageType.CreatePipeline:
      return Pipeline.createPipelineFromValue(r);
    case MessageType.GetAvailableRunspaces:
      return Pool.callIdFromValue(r);
    case MessageType.UserEvent:
      return Pool.userEventFromValue(r);
    case MessageType.ApplicationPrivateData:
      return Pool.applicationPrivateDataFromValue(r);
    case MessageType.GetCommandMetadata:
      return Pipeline.getCommandMetadataFromValue(r);
    case MessageType.RunspacePoolHostCall:
    case MessageType.PipelineHostCall:
      return hostCallFromValue(r);
    case MessageType.RunspacePoolHostResponse:
    case MessageType.PipelineHostResponse:
      return hostResponseFromValue(r);
    case MessageType.PipelineInput:
    case MessageType.PipelineOutput:
      return { value: v };
    case MessageType.EndOfPipelineInput:
      return {};
    case MessageType.ErrorRecord:
    case MessageType.DebugRecord:
    case MessageType.VerboseRecord:
    case MessageType.WarningRecord:
    case MessageType.ProgressRecord:
    case MessageType.InformationRecord:
      return { record: v };
    case MessageType.PipelineState:
      return Pipeline.pipelineStateFromValue(r);
    case MessageType.ConnectRunspacePool:
      return Pool.connectRunspacePoolFromValue(r, v);
    case MessageType.RunspacePoolInitData:
      return Pool.runspacePoolInitDataFromValue(r);
    case MessageType.ResetRunspaceState:
      return Pool.callIdFromValue(r);
    default: {
      const never: never = type;
      throw new InternalError(`no decoder for message type ${String(never)}`);
    }
  }
}

/**
 * Parse the Data field of a known message type into its typed body. Throws
 * RemoteProtocolError (PSR_PSRP_MESSAGE_INVALID, or the clixml layer's code)
 * naming the message and property.
 */
export function decodeBody(type: MessageTypeValue, xml: string, ctx: BodyCodecContext = {}, where?: string): AnyBody {
  const w = where ?? messageTypeSpecName(type);
  if (type === MessageType.EndOfPipelineInput) {
    if (xml.trim().length !== 0) throw new RemoteProtocolError('PSR_PSRP_MESSAGE_INVALID', 'END_OF_PIPELINE_INPUT carries data', { where: w });
    return {};
  }
  // PowerShell writes a $null object as an empty Data field (no <Nil/>): seen from
  // the real engine (SMA 7.6.9) for `$null` output.
  if ((type === MessageType.PipelineOutput || type === MessageType.PipelineInput) && xml.trim().length === 0) {
    return { value: null };
  }
  const value = X.parseValue(xml, ctx, w);
  return valueToBody(type, value, new Reader(value, w));
}

/** Parse any Data field to a clixml value (for tools and tests). */
export function decodeValue(xml: string, ctx: BodyCodecContext = {}, where = 'PSRP message'): PSValue {
  return X.parseValue(xml, ctx, where);
}

/** Serialize any clixml value (for tools and tests). */
export function encodeValue(value: PSInput, ctx: BodyCodecContext = {}): string {
  return X.serializeValue(value, ctx);
}

// Message bodies <-> CLIXML for every MS-PSRP 2.2.2 message type. The shapes
// follow the spec sections and what Windows sends (the pypsrp recordings);
// where they differ, spec-notes/ms-psrp.md says so. All clixml access goes
// through clixml-bridge.ts.
//
// This module holds one codec per message type; the body shapes live by family:
// messages-pool.ts (session and runspace pool), messages-pipeline.ts
// (CREATE_PIPELINE, the PowerShell structure, GET_COMMAND_METADATA,
// PIPELINE_STATE), messages-host.ts (HostInfo, host calls and responses), on
// top of messages-reader.ts. Bodies that are a bare value (PIPELINE_INPUT/OUTPUT,
// the *_RECORD messages) are handled here.

import { InternalError, RemoteProtocolError } from '../errors.js';
import { decodeBase64Bytes, textWithBase64 } from '../util/base64.js';
import * as X from './clixml-bridge.js';
import type { SessionKeyCipher } from './key-exchange.js';
import { MessageType, messageTypeName, messageTypeSpecName, type MessageTypeName, type MessageTypeValue, } from './message.js';
import type { MessageBodies, PSInput, PSValue, RecordBody } from './message-types.js';
import { hostCallFromValue, hostCallToValue, hostResponseFromValue, hostResponseToValue } from './messages-host.js';
import * as Pipeline from './messages-pipeline.js';
import * as Pool from './messages-pool.js';
import { Reader, stateFromValue, stateToValue } from './messages-reader.js';

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
// One row per message type: how its body becomes a CLIXML value and back.

interface Codec<T> {
  /** undefined: the Data field is empty. */
  readonly toValue: (body: T) => PSInput | undefined;
  readonly fromValue: (r: Reader, v: PSValue) => T;
}

const codec = <T>(toValue: Codec<T>['toValue'], fromValue: Codec<T>['fromValue']): Codec<T> => ({ toValue, fromValue });

const RECORD = codec<RecordBody>((b) => b.record, (_r, v) => ({ record: v }));

const CODECS: { readonly [K in MessageTypeName]: Codec<B[K]> } = {
  SessionCapability: codec(Pool.sessionCapabilityToValue, Pool.sessionCapabilityFromValue),
  InitRunspacePool: codec(Pool.initRunspacePoolToValue, Pool.initRunspacePoolFromValue),
  PublicKey: codec(Pool.publicKeyToValue, Pool.publicKeyFromValue),
  EncryptedSessionKey: codec(Pool.encryptedSessionKeyToValue, Pool.encryptedSessionKeyFromValue),
  PublicKeyRequest: codec(() => '', () => ({})),
  ConnectRunspacePool: codec(Pool.connectRunspacePoolToValue, Pool.connectRunspacePoolFromValue),
  RunspacePoolInitData: codec(Pool.runspacePoolInitDataToValue, Pool.runspacePoolInitDataFromValue),
  ResetRunspaceState: codec(Pool.callIdToValue, Pool.callIdFromValue),
  SetMaxRunspaces: codec(Pool.setMaxRunspacesToValue, Pool.setMaxRunspacesFromValue),
  SetMinRunspaces: codec(Pool.setMinRunspacesToValue, Pool.setMinRunspacesFromValue),
  RunspaceAvailability: codec(Pool.runspaceAvailabilityToValue, Pool.runspaceAvailabilityFromValue),
  RunspacePoolState: codec((b) => stateToValue('RunspaceState', b), (r) => stateFromValue(r, 'RunspaceState')),
  CreatePipeline: codec(Pipeline.createPipelineToValue, Pipeline.createPipelineFromValue),
  GetAvailableRunspaces: codec(Pool.callIdToValue, Pool.callIdFromValue),
  UserEvent: codec(Pool.userEventToValue, Pool.userEventFromValue),
  ApplicationPrivateData: codec(Pool.applicationPrivateDataToValue, Pool.applicationPrivateDataFromValue),
  GetCommandMetadata: codec(Pipeline.getCommandMetadataToValue, Pipeline.getCommandMetadataFromValue),
  RunspacePoolHostCall: codec(hostCallToValue, hostCallFromValue),
  RunspacePoolHostResponse: codec(hostResponseToValue, hostResponseFromValue),
  PipelineInput: codec((b) => b.value, (_r, v) => ({ value: v })),
  EndOfPipelineInput: codec(() => undefined, () => ({})),
  PipelineOutput: codec((b) => b.value, (_r, v) => ({ value: v })),
  ErrorRecord: RECORD,
  PipelineState: codec((b) => stateToValue('PipelineState', b), (r) => stateFromValue(r, 'PipelineState')),
  DebugRecord: RECORD,
  VerboseRecord: RECORD,
  WarningRecord: RECORD,
  ProgressRecord: RECORD,
  InformationRecord: RECORD,
  PipelineHostCall: codec(hostCallToValue, hostCallFromValue),
  PipelineHostResponse: codec(hostResponseToValue, hostResponseFromValue),
};

function codecOf(type: MessageTypeValue): Codec<AnyBody> {
  const name = messageTypeName(type);
  if (name === undefined) throw new InternalError(`no codec for message type ${String(type)}`);
  return CODECS[name] as Codec<AnyBody>;
}

/** Serialize a typed body to the UTF-8 Data field (no BOM). */
export function encodeBody<K extends MessageTypeName>(
  type: (typeof MessageType)[K],
  body: MessageBodies[K],
  ctx: BodyCodecContext = {},
): Uint8Array {
  const parts = bodyParts(type, body);
  if (parts) return textWithBase64(parts);
  const value = codecOf(type).toValue(body);
  if (value === undefined) return new Uint8Array(0);
  return new TextEncoder().encode(X.serializeValue(value, ctx));
}

/**
 * A byte[] object as PIPELINE_INPUT or PIPELINE_OUTPUT (a file transfer's
 * chunk): <BA> and its bytes, to be written as base64 straight into the
 * message (encodeMessage), since serialized as text it would be two large
 * strings and two copies per chunk. undefined for any other body.
 */
export function bodyParts<K extends MessageTypeName>(type: (typeof MessageType)[K], body: MessageBodies[K]): (string | Uint8Array)[] | undefined {
  if (type !== MessageType.PipelineInput && type !== MessageType.PipelineOutput) return undefined;
  const value = (body as MessageBodies['PipelineInput']).value;
  return value instanceof Uint8Array && value.byteLength > 0 ? ['<BA>', value, '</BA>'] : undefined;
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
  return codecOf(type).fromValue(new Reader(value, w), value);
}

const BA_OPEN = Buffer.from('<BA>');
const BA_CLOSE = Buffer.from('</BA>');

/**
 * The body of a PIPELINE_OUTPUT or PIPELINE_INPUT whose Data is exactly one
 * byte[] (<BA>base64</BA>: a file transfer's chunk), read from the bytes
 * without making the message one large string for the CLIXML reader; the same
 * value decodeBody gives. undefined for anything else (decodeBody then reads it).
 */
export function byteArrayBody(type: number, data: Uint8Array): { value: Uint8Array } | undefined {
  if (type !== MessageType.PipelineOutput && type !== MessageType.PipelineInput) return undefined;
  const n = data.byteLength;
  if (n <= BA_OPEN.length + BA_CLOSE.length || !BA_OPEN.equals(data.subarray(0, 4)) || !BA_CLOSE.equals(data.subarray(n - 5))) return undefined;
  const b = decodeBase64Bytes(data.subarray(4, n - 5));
  return b && { value: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
}

/** Parse any Data field to a clixml value (for tools and tests). */
export function decodeValue(xml: string, ctx: BodyCodecContext = {}, where = 'PSRP message'): PSValue {
  return X.parseValue(xml, ctx, where);
}

/** Serialize any clixml value (for tools and tests). */
export function encodeValue(value: PSInput, ctx: BodyCodecContext = {}): string {
  return X.serializeValue(value, ctx);
}

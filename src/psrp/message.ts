// MS-PSRP 2.2.1: the 40-byte message header and the message type table.
//   Destination u32 LE | MessageType u32 LE | RPID (16, .NET GUID bytes) | PID (16) | Data
// Data is UTF-8 CLIXML. Windows servers put a UTF-8 BOM in front of it; the
// BOM is dropped on read and never written.

import { RemoteProtocolError } from '../errors.js';
import { textWithBase64 } from '../util/base64.js';
import { guidFromBytesLE, guidToBytesLE, ZERO_GUID } from '../util/guid.js';

export const MESSAGE_HEADER_LENGTH = 40;

export const Destination = {
  Client: 1,
  Server: 2,
} as const;
export type Destination = (typeof Destination)[keyof typeof Destination];

/** Every MS-PSRP 2.2.1 message type. */
export const MessageType = {
  SessionCapability: 0x00010002,
  InitRunspacePool: 0x00010004,
  PublicKey: 0x00010005,
  EncryptedSessionKey: 0x00010006,
  PublicKeyRequest: 0x00010007,
  ConnectRunspacePool: 0x00010008,
  RunspacePoolInitData: 0x0002100b,
  ResetRunspaceState: 0x0002100c,
  SetMaxRunspaces: 0x00021002,
  SetMinRunspaces: 0x00021003,
  RunspaceAvailability: 0x00021004,
  RunspacePoolState: 0x00021005,
  CreatePipeline: 0x00021006,
  GetAvailableRunspaces: 0x00021007,
  UserEvent: 0x00021008,
  ApplicationPrivateData: 0x00021009,
  GetCommandMetadata: 0x0002100a,
  RunspacePoolHostCall: 0x00021100,
  RunspacePoolHostResponse: 0x00021101,
  PipelineInput: 0x00041002,
  EndOfPipelineInput: 0x00041003,
  PipelineOutput: 0x00041004,
  ErrorRecord: 0x00041005,
  PipelineState: 0x00041006,
  DebugRecord: 0x00041007,
  VerboseRecord: 0x00041008,
  WarningRecord: 0x00041009,
  ProgressRecord: 0x00041010,
  InformationRecord: 0x00041011,
  PipelineHostCall: 0x00041100,
  PipelineHostResponse: 0x00041101,
} as const;
export type MessageTypeName = keyof typeof MessageType;
export type MessageTypeValue = (typeof MessageType)[MessageTypeName];

/** The record streams beside output, by PowerShell's stream names. */
export type RecordStreamName = 'error' | 'debug' | 'verbose' | 'warning' | 'progress' | 'information';

/** The *_RECORD messages, whose body is one record, and the stream each belongs to. */
export const RECORD_STREAMS = {
  ErrorRecord: 'error',
  DebugRecord: 'debug',
  VerboseRecord: 'verbose',
  WarningRecord: 'warning',
  ProgressRecord: 'progress',
  InformationRecord: 'information',
} as const satisfies Partial<Record<MessageTypeName, RecordStreamName>>;

/** The spec's upper-case names (SESSION_CAPABILITY ...), by value. */
export const MESSAGE_TYPE_SPEC_NAMES: Readonly<Record<MessageTypeValue, string>> = {
  [MessageType.SessionCapability]: 'SESSION_CAPABILITY',
  [MessageType.InitRunspacePool]: 'INIT_RUNSPACEPOOL',
  [MessageType.PublicKey]: 'PUBLIC_KEY',
  [MessageType.EncryptedSessionKey]: 'ENCRYPTED_SESSION_KEY',
  [MessageType.PublicKeyRequest]: 'PUBLIC_KEY_REQUEST',
  [MessageType.ConnectRunspacePool]: 'CONNECT_RUNSPACEPOOL',
  [MessageType.RunspacePoolInitData]: 'RUNSPACEPOOL_INIT_DATA',
  [MessageType.ResetRunspaceState]: 'RESET_RUNSPACE_STATE',
  [MessageType.SetMaxRunspaces]: 'SET_MAX_RUNSPACES',
  [MessageType.SetMinRunspaces]: 'SET_MIN_RUNSPACES',
  [MessageType.RunspaceAvailability]: 'RUNSPACE_AVAILABILITY',
  [MessageType.RunspacePoolState]: 'RUNSPACEPOOL_STATE',
  [MessageType.CreatePipeline]: 'CREATE_PIPELINE',
  [MessageType.GetAvailableRunspaces]: 'GET_AVAILABLE_RUNSPACES',
  [MessageType.UserEvent]: 'USER_EVENT',
  [MessageType.ApplicationPrivateData]: 'APPLICATION_PRIVATE_DATA',
  [MessageType.GetCommandMetadata]: 'GET_COMMAND_METADATA',
  [MessageType.RunspacePoolHostCall]: 'RUNSPACEPOOL_HOST_CALL',
  [MessageType.RunspacePoolHostResponse]: 'RUNSPACEPOOL_HOST_RESPONSE',
  [MessageType.PipelineInput]: 'PIPELINE_INPUT',
  [MessageType.EndOfPipelineInput]: 'END_OF_PIPELINE_INPUT',
  [MessageType.PipelineOutput]: 'PIPELINE_OUTPUT',
  [MessageType.ErrorRecord]: 'ERROR_RECORD',
  [MessageType.PipelineState]: 'PIPELINE_STATE',
  [MessageType.DebugRecord]: 'DEBUG_RECORD',
  [MessageType.VerboseRecord]: 'VERBOSE_RECORD',
  [MessageType.WarningRecord]: 'WARNING_RECORD',
  [MessageType.ProgressRecord]: 'PROGRESS_RECORD',
  [MessageType.InformationRecord]: 'INFORMATION_RECORD',
  [MessageType.PipelineHostCall]: 'PIPELINE_HOST_CALL',
  [MessageType.PipelineHostResponse]: 'PIPELINE_HOST_RESPONSE',
};

const NAME_BY_VALUE = new Map<number, MessageTypeName>(
  (Object.entries(MessageType) as [MessageTypeName, number][]).map(([k, v]) => [v, k]),
);

export function isKnownMessageType(value: number): value is MessageTypeValue {
  return NAME_BY_VALUE.has(value);
}

/** `SessionCapability` for 0x00010002; undefined for an unknown value. */
export function messageTypeName(value: number): MessageTypeName | undefined {
  return NAME_BY_VALUE.get(value);
}

/** `SESSION_CAPABILITY` for 0x00010002; `UNKNOWN_0x...` for an unknown value. */
export function messageTypeSpecName(value: number): string {
  return isKnownMessageType(value)
    ? MESSAGE_TYPE_SPEC_NAMES[value]
    : `UNKNOWN_0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

/** A decoded PSRP message: header fields plus the raw (BOM-less) data. */
export interface PsrpMessage {
  readonly destination: Destination;
  /** A MessageType value; unknown values are kept as numbers. */
  readonly messageType: number;
  /** Lower-case GUID. */
  readonly runspacePoolId: string;
  /** Lower-case GUID; ZERO_GUID for messages to/from the pool. */
  readonly pipelineId: string;
  /** UTF-8 CLIXML (or empty), without a BOM. */
  readonly data: Uint8Array;
}

/** Encode header + data into one new array. */
export function encodeMessage(m: {
  destination: Destination;
  messageType: number;
  runspacePoolId: string;
  pipelineId?: string | undefined;
  /** The body: text, bytes, or markup and bytes to write as base64 (messages.ts bodyParts), in one allocation. */
  data: Uint8Array | string | readonly (string | Uint8Array)[];
}): Uint8Array {
  let out: Uint8Array;
  if (Array.isArray(m.data)) out = textWithBase64(m.data as readonly (string | Uint8Array)[], MESSAGE_HEADER_LENGTH);
  else {
    const data = typeof m.data === 'string' ? new TextEncoder().encode(m.data) : (m.data as Uint8Array);
    out = new Uint8Array(MESSAGE_HEADER_LENGTH + data.byteLength);
    out.set(data, MESSAGE_HEADER_LENGTH);
  }
  const view = new DataView(out.buffer, out.byteOffset, MESSAGE_HEADER_LENGTH);
  view.setUint32(0, m.destination, true);
  view.setUint32(4, m.messageType >>> 0, true);
  guidToBytesLE(m.runspacePoolId, out, 8);
  guidToBytesLE(m.pipelineId ?? ZERO_GUID, out, 24);
  return out;
}

/** Decode a reassembled message. The data is a view into `bytes`. */
export function decodeMessage(bytes: Uint8Array, where = 'PSRP message'): PsrpMessage {
  if (bytes.byteLength < MESSAGE_HEADER_LENGTH) {
    throw new RemoteProtocolError(
      'PSR_PSRP_MESSAGE_INVALID',
      `message of ${bytes.byteLength} bytes is shorter than the ${MESSAGE_HEADER_LENGTH}-byte header`,
      { where },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const destination = view.getUint32(0, true);
  if (destination !== Destination.Client && destination !== Destination.Server) {
    throw new RemoteProtocolError('PSR_PSRP_MESSAGE_INVALID', `invalid Destination ${destination}`, { where });
  }
  const messageType = view.getUint32(4, true);
  const runspacePoolId = guidFromBytesLE(bytes, 8);
  const pipelineId = guidFromBytesLE(bytes, 24);
  let data = bytes.subarray(MESSAGE_HEADER_LENGTH);
  if (data.byteLength >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
  return { destination, messageType, runspacePoolId, pipelineId, data };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The message data as text; invalid UTF-8 is PSR_PSRP_MESSAGE_INVALID. */
export function messageText(m: PsrpMessage, where = 'PSRP message'): string {
  try {
    return utf8.decode(m.data);
  } catch (cause) {
    throw new RemoteProtocolError(
      'PSR_PSRP_MESSAGE_INVALID',
      `${messageTypeSpecName(m.messageType)} data is not valid UTF-8`,
      { where, cause },
    );
  }
}

// Typed bodies of every MS-PSRP 2.2.2 message. These are what the state
// machines queue and what events carry; messages.ts turns them into CLIXML and
// back. Values the protocol does not interpret (output objects, records,
// application data, host call arguments) stay clixml values: `PSValue` where
// the client reads them, `PSInput` (anything the writer accepts) where the
// client's caller supplies them (parameters, arguments, input, host answers).

import type { MessageTypeName } from './message.js';
import type { PSInput, PSValue } from './clixml-bridge.js';

export type { PSInput, PSValue };

export interface SessionCapabilityBody {
  readonly protocolVersion: string;
  readonly psVersion: string;
  readonly serializationVersion: string;
  /** .NET BinaryFormatter blob of the client's TimeZone (opaque), if sent. */
  readonly timeZone?: Uint8Array | undefined;
}

/** MS-PSRP 2.2.3.14. */
export interface HostInfo {
  readonly isHostNull: boolean;
  readonly isHostUINull: boolean;
  readonly isHostRawUINull: boolean;
  readonly useRunspaceHost: boolean;
  /** The _hostDefaultData dictionary (key 0..9, see 2.2.3.14), as clixml value; absent when the host is null. */
  readonly hostDefaultData?: PSValue | undefined;
}

export const NULL_HOST_INFO: HostInfo = {
  isHostNull: true,
  isHostUINull: true,
  isHostRawUINull: true,
  useRunspaceHost: true,
};

export interface InitRunspacePoolBody {
  readonly minRunspaces: number;
  readonly maxRunspaces: number;
  /** PSThreadOptions (2.2.3.6): 0 Default, 1 UseNewThread, 2 ReuseThread, 3 UseCurrentThread. */
  readonly threadOptions: number;
  /** ApartmentState (2.2.3.7): 0 STA, 1 MTA, 2 Unknown. */
  readonly apartmentState: number;
  readonly hostInfo: HostInfo;
  /** Primitive dictionary or null. */
  readonly applicationArguments: PSInput;
}

export interface PublicKeyBody {
  /** base64 PUBLICKEYBLOB (key-exchange.ts). */
  readonly publicKey: string;
}

export interface EncryptedSessionKeyBody {
  /** base64 SIMPLEBLOB (key-exchange.ts). */
  readonly encryptedSessionKey: string;
}

export type PublicKeyRequestBody = Record<string, never>;

export interface SetMaxRunspacesBody {
  readonly ci: bigint;
  readonly maxRunspaces: number;
}
export interface SetMinRunspacesBody {
  readonly ci: bigint;
  readonly minRunspaces: number;
}
export interface RunspaceAvailabilityBody {
  readonly ci: bigint;
  /** Boolean for SET_MAX/SET_MIN/RESET, a count (Int64) for GET_AVAILABLE_RUNSPACES. */
  readonly response: boolean | bigint;
}
export interface RunspacePoolStateBody {
  readonly state: number;
  /** ErrorRecord when the state change was caused by an error. */
  readonly error?: PSValue | undefined;
}

/** PipelineResultTypes flags (2.2.3.31). */
export const PipelineResultTypes = {
  None: 0,
  Output: 1,
  Error: 2,
  Warning: 4,
  Verbose: 8,
  Debug: 16,
  Information: 32,
  All: 0x3f,
  Null: 0x40,
} as const;

/** RemoteStreamOptions flags (2.2.3.8). */
export const RemoteStreamOptions = {
  None: 0,
  AddInvocationInfoToErrorRecord: 1,
  AddInvocationInfoToWarningRecord: 2,
  AddInvocationInfoToDebugRecord: 4,
  AddInvocationInfoToVerboseRecord: 8,
  AddInvocationInfo: 15,
} as const;

export interface CommandParameter {
  /** Null for a positional argument. */
  readonly name: string | null;
  readonly value: PSInput;
}

/** MS-PSRP 2.2.3.12. */
export interface CommandSpec {
  readonly command: string;
  readonly isScript: boolean;
  readonly useLocalScope: boolean | null;
  readonly parameters: readonly CommandParameter[];
  readonly mergeMyResult: number;
  readonly mergeToResult: number;
  readonly mergePreviousResults: number;
  readonly mergeError: number;
  readonly mergeWarning: number;
  readonly mergeVerbose: number;
  readonly mergeDebug: number;
  /** Protocol 2.3+; undefined means "not sent". */
  readonly mergeInformation?: number | undefined;
}

/** MS-PSRP 2.2.3.11, with statements (PowerShell's ExtraCmds). */
export interface PipelineSpec {
  readonly isNested: boolean;
  /** One or more statements, each a pipeline of commands. */
  readonly statements: readonly (readonly CommandSpec[])[];
  readonly history: string | null;
  readonly redirectShellErrorOutputPipe: boolean;
}

export interface CreatePipelineBody {
  readonly noInput: boolean;
  readonly apartmentState: number;
  readonly remoteStreamOptions: number;
  readonly addToHistory: boolean;
  readonly hostInfo: HostInfo;
  readonly pipeline: PipelineSpec;
  readonly isNested: boolean;
}

export interface GetAvailableRunspacesBody {
  readonly ci: bigint;
}

export interface UserEventBody {
  readonly eventIdentifier: number;
  readonly sourceIdentifier: string;
  readonly timeGenerated: PSValue;
  readonly sender: PSValue;
  readonly sourceArgs: PSValue;
  readonly messageData: PSValue;
  readonly computerName: string | null;
  readonly runspaceId: string;
}

export interface ApplicationPrivateDataBody {
  /** Primitive dictionary or null. */
  readonly data: PSValue;
}

/** CommandTypes flags (2.2.3.19). */
export const CommandTypes = {
  Alias: 0x1,
  Function: 0x2,
  Filter: 0x4,
  Cmdlet: 0x8,
  ExternalScript: 0x10,
  Application: 0x20,
  Script: 0x40,
  Workflow: 0x80,
  Configuration: 0x100,
  All: 0x1ff,
} as const;

export interface GetCommandMetadataBody {
  readonly name: readonly string[] | null;
  readonly commandType: number;
  readonly namespace: readonly string[] | null;
  readonly argumentList: readonly PSInput[] | null;
}

export interface HostCallBody {
  readonly ci: bigint;
  /** RemoteHostMethodId value (2.2.3.17). */
  readonly methodId: number;
  /** Its name as sent (ToString), e.g. "ReadLine". */
  readonly methodName: string;
  readonly parameters: readonly PSValue[];
}

export interface HostResponseBody {
  readonly ci: bigint;
  readonly methodId: number;
  readonly methodName: string;
  /** Return value ("mr"), when the method returned one. */
  readonly result?: PSInput | undefined;
  /** ErrorRecord ("me"), when the host failed. */
  readonly error?: PSInput | undefined;
}

export interface ValueBody {
  readonly value: PSValue;
}
/** PIPELINE_INPUT: what the caller streams in. */
export interface InputBody {
  readonly value: PSInput;
}
export type EndOfPipelineInputBody = Record<string, never>;

export interface RecordBody {
  /** ErrorRecord / InformationalRecord / ProgressRecord / InformationRecord as clixml value. */
  readonly record: PSValue;
}

export interface PipelineStateBody {
  readonly state: number;
  readonly error?: PSValue | undefined;
}

export interface ConnectRunspacePoolBody {
  readonly minRunspaces?: number | undefined;
  readonly maxRunspaces?: number | undefined;
}

export interface RunspacePoolInitDataBody {
  readonly minRunspaces: number;
  readonly maxRunspaces: number;
}

export interface ResetRunspaceStateBody {
  readonly ci: bigint;
}

/** Body type of each message type. */
export interface MessageBodies {
  SessionCapability: SessionCapabilityBody;
  InitRunspacePool: InitRunspacePoolBody;
  PublicKey: PublicKeyBody;
  EncryptedSessionKey: EncryptedSessionKeyBody;
  PublicKeyRequest: PublicKeyRequestBody;
  ConnectRunspacePool: ConnectRunspacePoolBody;
  RunspacePoolInitData: RunspacePoolInitDataBody;
  ResetRunspaceState: ResetRunspaceStateBody;
  SetMaxRunspaces: SetMaxRunspacesBody;
  SetMinRunspaces: SetMinRunspacesBody;
  RunspaceAvailability: RunspaceAvailabilityBody;
  RunspacePoolState: RunspacePoolStateBody;
  CreatePipeline: CreatePipelineBody;
  GetAvailableRunspaces: GetAvailableRunspacesBody;
  UserEvent: UserEventBody;
  ApplicationPrivateData: ApplicationPrivateDataBody;
  GetCommandMetadata: GetCommandMetadataBody;
  RunspacePoolHostCall: HostCallBody;
  RunspacePoolHostResponse: HostResponseBody;
  PipelineInput: InputBody;
  EndOfPipelineInput: EndOfPipelineInputBody;
  PipelineOutput: ValueBody;
  ErrorRecord: RecordBody;
  PipelineState: PipelineStateBody;
  DebugRecord: RecordBody;
  VerboseRecord: RecordBody;
  WarningRecord: RecordBody;
  ProgressRecord: RecordBody;
  InformationRecord: RecordBody;
  PipelineHostCall: HostCallBody;
  PipelineHostResponse: HostResponseBody;
}

// Compile-time check that every message type has a body type and nothing else.
type _Exact = [MessageTypeName] extends [keyof MessageBodies]
  ? [keyof MessageBodies] extends [MessageTypeName]
    ? true
    : never
  : never;
const _exact: _Exact = true;
void _exact;

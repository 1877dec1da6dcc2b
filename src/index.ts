// psremote's public API. Names follow PowerShell remoting: a session is a
// RunspacePool (New-PSSession), invoke runs a pipeline on it (Invoke-Command
// -Session), invokeCommand is the one-shot form and invokeOnHosts the fan-out
// (Invoke-Command -ComputerName a,b,c -ThrottleLimit 32).

export * from './errors.js';

// CLIXML (MS-PSRP 2.2.5): value model, reader and writer, plain view, typed records (docs/clixml.md)
export * from './clixml/index.js';

// PowerShell sessions
export { openSession, connectSession, type SessionOptions } from './session/open.js';
export type { Target, ConnectionOptions, ConnectOptions, Credential } from './winrm/target.js';
export { getRemoteSessions, type GetRemoteSessionsOptions, type RemoteSessionInfo, type RemoteCommandInfo } from './session/remote-sessions.js';
export { RunspacePool, type RunspacePoolOptions, type RunspacePoolEvents, type InvokeOptions, type ScriptOrCommand, type RunspacePoolStats } from './session/runspace-pool.js';
export type { RunspacePoolStateName } from './psrp/states.js';
export { parseSessionHandle, type SessionHandle, type SessionStore } from './session/handle.js';
export { FileSessionStore, SessionStoreError, type NamedSession } from './session/store.js';
export type { CommandMetadata, ParameterMetadata } from './session/command-metadata.js';
export {
  PowerShellInvocation,
  PipelineFailedError,
  type InvocationResult,
  type InvocationStreams,
  type InvocationStateName,
} from './session/powershell.js';
export * from './session/import/index.js';
export * from './session/check/index.js';
export { copyToSession, copyFromSession, copyToHost, copyFromHost, FileTransferError, type CopyFailure, type CopyOptions, type CopyProgress, type CopyResult, type CopiedFile, type CopySource, type CopyDestination, type HostCopyOptions, readEnvelopeSizeKb } from './session/copy/index.js';
export { invokeCommand, invokeOnHosts, type HostResult, type FanOutOptions, type InvokeCommandOptions } from './session/invoke.js';
export { NonInteractiveHost, HostCallNotSupportedError, HostCallFailedError, credentialAnswer, secureStringAnswer, type PSHost, type HostCall } from './session/host/host.js';
export {
  keyInfoAnswer,
  hostDefaultData,
  CONSOLE_COLORS,
  CONTROL_KEY_STATES,
  RAW_UI_DEFAULTS,
  type RawUIDefaults,
  type ConsoleColor,
  type ConsoleColorName,
  type HostSize,
  type HostCoordinates,
  type KeyInfoInit,
} from './session/host/raw-ui.js';
export type { PsrpCarrier, CarrierSink } from './session/carriers/carrier.js';
export { WSManCarrier, type WSManCarrierOptions } from './session/carriers/wsman-carrier.js';
export { OutOfProcCarrier, type OutOfProcCarrierOptions } from './session/carriers/outofproc-carrier.js';
export { parseOutOfProcTarget, type OutOfProcTarget } from './winrm/target.js';
export { MemoryCarrier, type MemoryCarrierOptions } from './server/memory-carrier.js';
export { ScriptedEngine, type ScriptHandler, type ScriptContext } from './server/scripted-engine.js';

// WinRS cmd shells, WMI, raw WS-Management
export * from './winrm/winrs.js';
export { flushPendingCloses } from './winrm/exit.js';
export * from './winrm/wmi.js';
export { WSManClient, type WSManClientOptions, type CallOptions } from './winrm/wsman-client.js';
export { WSManFaultError, type FaultKind, type WSManFault } from './wsman/fault.js';
export * as wsman from './wsman/index.js';
export * as psrp from './psrp/index.js';

// Transport
export * from './transport/http/index.js';
export { ManualClock, systemClock, type Clock } from './util/clock.js';
export * as outofproc from './transport/outofproc/index.js';
export { OutOfProcTransportError, type OutOfProcErrorDetails, type OutOfProcConnection } from './transport/outofproc/index.js';
export { connectSsh, type SshOptions } from './transport/ssh/index.js';

// Authentication mechanisms (sans-I/O) and WinRM message encryption
export * as ntlm from './auth/ntlm/index.js';
export { AuthProtocolError, AuthIntegrityError, AuthFailedError, AuthRejectedError } from './auth/errors.js';
export { certificateChannelBindings, tlsServerEndPoint } from './auth/channel-bindings.js';
export { KerberosError, type KrbErrorFields } from './auth/kerberos/errors.js';
export {
  acquireServiceTicket,
  acquireForwardedTgt,
  kinit as kerberosKinit,
  type KerberosCredentialOptions,
  type ServiceTicket,
} from './transport/kerberos/credentials.js';
export { buildEncryptedBody, parseEncryptedBody, unwrapEncryptedBody, type MessageSealer, type EncryptedPart } from './auth/winrm-encryption.js';

// Local endpoint, recordings, replay
export { startEndpoint, type EndpointOptions, type LocalEndpoint } from './server/endpoint.js';
export type { EndpointAuthScheme, EndpointUser } from './server/auth-gate.js';
export { startReplayServer, recordingIds, type ReplayServer, type ReplayServerOptions, type UnmatchedRequest, type ServedRequest, type ExchangeUse, type MatchMode } from './server/replay.js';
export { writePypsrpYaml, writeRecordingAs } from './server/recording-convert.js';
export type { RecordOptions } from './transport/http/recorder.js';
export { loadRecording, parseRecording, writeRecording, scrubRecording, RecordingError, type Recording, type Exchange } from './server/recording.js';

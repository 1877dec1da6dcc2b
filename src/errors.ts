// One error hierarchy for every layer. Classes say who is at fault (h11's
// split); `code` says what happened and is public API: documented in
// docs/errors.md, matched by callers and tests, never reused for another meaning.
// Messages are built from the data and must never contain a secret.

/** Every error code psremote raises. Layers add their codes here. */
export type ErrorCode =
  // usage (the caller asked for something illegal)
  | 'PSR_USAGE'
  | 'PSR_INVALID_STATE'
  // a broken internal invariant: a bug in psremote, never the input's fault
  | 'PSR_INTERNAL'
  // limits on untrusted input
  | 'PSR_LIMIT'
  // binary data shorter than its structure says (util/bytes)
  | 'PSR_DATA_TRUNCATED'
  // XML
  | 'PSR_XML_MALFORMED'
  // CLIXML
  | 'PSR_CLIXML_INVALID'
  | 'PSR_CLIXML_DEPTH_LIMIT'
  // PSRP
  | 'PSR_PSRP_FRAGMENT_INVALID'
  | 'PSR_PSRP_FRAGMENT_ORDER'
  | 'PSR_PSRP_MESSAGE_INVALID'
  | 'PSR_PSRP_PROTOCOL'
  | 'PSR_PSRP_CRYPTO'
  | 'PSR_PSRP_NEGOTIATION'
  | 'PSR_PSRP_VERSION'
  // WS-Management
  | 'PSR_WSMAN_FAULT'
  | 'PSR_WSMAN_INVALID'
  // auth
  | 'PSR_AUTH_REJECTED'
  | 'PSR_AUTH_INVALID'
  | 'PSR_AUTH_INTEGRITY'
  | 'PSR_AUTH_CHANNEL_BINDING'
  | 'PSR_AUTH_NEGOTIATION'
  // Kerberos (auth/kerberos, transport/kerberos)
  | 'PSR_KRB_PREAUTH_FAILED'
  | 'PSR_KRB_PRINCIPAL_UNKNOWN'
  | 'PSR_KRB_CLOCK_SKEW'
  | 'PSR_KRB_POLICY'
  | 'PSR_KRB_ETYPE_NOSUPP'
  | 'PSR_KRB_TICKET_EXPIRED'
  | 'PSR_KRB_KDC_ERROR'
  | 'PSR_KRB_KDC_UNREACHABLE'
  | 'PSR_KRB_CONFIG'
  | 'PSR_KRB_NO_CREDENTIALS'
  | 'PSR_KRB_FILE_INVALID'
  // transport
  | 'PSR_TRANSPORT'
  | 'PSR_TRANSPORT_TLS'
  | 'PSR_TRANSPORT_HTTP_STATUS'
  | 'PSR_OUTOFPROC_INVALID'
  | 'PSR_OUTOFPROC_TRANSPORT'
  | 'PSR_PEER_EXITED'
  | 'PSR_SSH_HOST_KEY'
  | 'PSR_SSH_AUTH_REJECTED'
  | 'PSR_SSH_TIMEOUT'
  | 'PSR_TIMEOUT'
  | 'PSR_ABORTED'
  // session
  | 'PSR_SESSION_BROKEN'
  | 'PSR_SESSION_DISCONNECTED'
  | 'PSR_SESSION_NOT_FOUND'
  | 'PSR_SESSION_IN_USE'
  // the local store of named sessions (session/store.ts)
  | 'PSR_SESSION_STORE'
  | 'PSR_PIPELINE_FAILED'
  // host calls the client's host cannot answer (session/host)
  | 'PSR_HOST_CALL_NOT_SUPPORTED'
  // the client's host answered a host call with an error (the scripted engine)
  | 'PSR_HOST_CALL_FAILED'
  // Import-PSSession proxies
  | 'PSR_PARAMETER_BINDING'
  | 'PSR_COMMAND_NOT_FOUND'
  // file transfer (session/copy)
  | 'PSR_COPY_NOT_FOUND'
  | 'PSR_COPY_ACCESS_DENIED'
  | 'PSR_COPY_DISK_FULL'
  | 'PSR_COPY_TARGET_EXISTS'
  | 'PSR_COPY_RESTRICTED_ENDPOINT'
  | 'PSR_COPY_HASH_MISMATCH'
  | 'PSR_COPY_FAILED'
  // recordings and replay
  | 'PSR_RECORDING_INVALID'
  | 'PSR_REPLAY_UNMATCHED'
  // codes of a fleet job's result record (FleetResult.error), never thrown
  | 'PSR_FLEET_JOB_FAILED'
  | 'PSR_UNKNOWN';

export interface PsRemoteErrorOptions {
  cause?: unknown;
}

export class PsRemoteError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: PsRemoteErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** The caller asked for something illegal (bad argument, wrong state). */
/** The codes of UsageError and its subclasses (each code has one class: docs/errors.md). */
export type UsageErrorCode = Extract<ErrorCode, 'PSR_USAGE' | 'PSR_INVALID_STATE' | 'PSR_PSRP_VERSION'>;

export class UsageError extends PsRemoteError {
  constructor(message: string, options?: PsRemoteErrorOptions & { code?: UsageErrorCode }) {
    super(options?.code ?? 'PSR_USAGE', message, options);
  }
}

/** An action was requested in a state that does not allow it. */
export class InvalidStateError extends UsageError {
  readonly action: string;
  readonly currentState: string;
  readonly expectedStates: readonly string[];
  constructor(action: string, currentState: string, expectedStates: readonly string[], options?: PsRemoteErrorOptions) {
    super(`cannot ${action} in state ${currentState}; expected ${expectedStates.join(' or ')}`, {
      ...options,
      code: 'PSR_INVALID_STATE',
    });
    this.action = action;
    this.currentState = currentState;
    this.expectedStates = expectedStates;
  }
}

/** The codes of RemoteProtocolError; AuthProtocolError (PSR_AUTH_INVALID) is its subclass with a code of its own. */
export type RemoteProtocolErrorCode = Extract<
  ErrorCode,
  | 'PSR_DATA_TRUNCATED'
  | 'PSR_XML_MALFORMED'
  | 'PSR_CLIXML_INVALID'
  | `PSR_PSRP_${'FRAGMENT_INVALID' | 'FRAGMENT_ORDER' | 'MESSAGE_INVALID' | 'PROTOCOL' | 'CRYPTO' | 'NEGOTIATION'}`
  | 'PSR_WSMAN_INVALID'
  | 'PSR_OUTOFPROC_INVALID'
  | 'PSR_KRB_FILE_INVALID'
  | 'PSR_AUTH_INVALID'
>;

/** The peer (or a file) sent bytes that break the protocol. `where` locates it. */
export class RemoteProtocolError extends PsRemoteError {
  readonly where: string | undefined;
  constructor(code: RemoteProtocolErrorCode, message: string, options?: PsRemoteErrorOptions & { where?: string }) {
    super(code, options?.where ? `${message} (at ${options.where})` : message, options);
    this.where = options?.where;
  }
}

/** The words of a limit violation, also for the layers that raise it under their own code (auth tokens, Kerberos files). */
export function limitExceeded(limit: string, max: number, actual: number): string {
  return `${limit} limit exceeded: ${actual} > ${max}`;
}

/** Untrusted input exceeded a configured limit (size, depth, count). */
export class LimitError extends PsRemoteError {
  readonly limit: string;
  readonly max: number;
  readonly actual: number;
  constructor(limit: string, max: number, actual: number, where?: string, code: Extract<ErrorCode, 'PSR_LIMIT' | 'PSR_CLIXML_DEPTH_LIMIT'> = 'PSR_LIMIT') {
    super(code, `${limitExceeded(limit, max, actual)}${where ? ` (at ${where})` : ''}`);
    this.limit = limit;
    this.max = max;
    this.actual = actual;
  }
}

/**
 * An internal invariant broke (an exhaustive switch fell through, a table was
 * built wrong): a bug in psremote to report, never a fault of the input, which
 * gets the typed error of its layer instead.
 */
export class InternalError extends PsRemoteError {
  constructor(message: string, options?: PsRemoteErrorOptions) {
    super('PSR_INTERNAL', `internal error (a bug in psremote): ${message}`, options);
  }
}

/**
 * What was caught, as an Error to fail with. psremote throws only errors, so a
 * value that is not one came from caller-supplied code (a host, an auth hook)
 * and is reported as that caller's UsageError.
 */
export function toError(e: unknown): Error {
  return e instanceof Error ? e : new UsageError(`a callback threw a value that is not an Error: ${String(e).slice(0, 200)}`);
}

export class TimeoutError extends PsRemoteError {
  constructor(message: string, options?: PsRemoteErrorOptions) {
    super('PSR_TIMEOUT', message, options);
  }
}

export class AbortError extends PsRemoteError {
  constructor(message = 'the operation was aborted', options?: PsRemoteErrorOptions) {
    super('PSR_ABORTED', message, options);
  }
}

export type SessionErrorCode = Extract<ErrorCode, 'PSR_SESSION_BROKEN' | 'PSR_SESSION_DISCONNECTED' | 'PSR_SESSION_NOT_FOUND' | 'PSR_SESSION_IN_USE'>;

/**
 * A PowerShell session failed as a whole: broken by the server, disconnected by
 * the network, gone (expired, removed, another configuration) or in use by
 * another client. `shellId` (and `pipelineId` when one pipeline was concerned)
 * say which, as Get-PSSession shows them.
 */
export class SessionError extends PsRemoteError {
  readonly shellId: string | undefined;
  readonly pipelineId: string | undefined;
  constructor(code: SessionErrorCode, message: string, ids: { shellId?: string | undefined; pipelineId?: string | undefined } = {}, options?: PsRemoteErrorOptions) {
    super(code, message, options);
    this.shellId = ids.shellId;
    this.pipelineId = ids.pipelineId;
  }
}

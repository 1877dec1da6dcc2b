// States (MS-PSRP 2.2.3.4, 2.2.3.5), protocol versions (C7 in the peer notes)
// and the guard tables: which protocol action is allowed in which state.
// Every guard in client/server code looks its action up here, so the rules
// live in one place (h11's _state.py habit) and docs/psrp.md lists them.

import { InvalidStateError, UsageError } from '../errors.js';

export const RunspacePoolState = {
  BeforeOpen: 0,
  Opening: 1,
  Opened: 2,
  Closed: 3,
  Closing: 4,
  Broken: 5,
  NegotiationSent: 6,
  NegotiationSucceeded: 7,
  Connecting: 8,
  Disconnected: 9,
} as const;
export type RunspacePoolState = (typeof RunspacePoolState)[keyof typeof RunspacePoolState];

export const PSInvocationState = {
  NotStarted: 0,
  Running: 1,
  Stopping: 2,
  Stopped: 3,
  Completed: 4,
  Failed: 5,
  Disconnected: 6,
} as const;
export type PSInvocationState = (typeof PSInvocationState)[keyof typeof PSInvocationState];

/** A RunspacePoolState by name: 'Opened', 'Broken', … */
export type RunspacePoolStateName = keyof typeof RunspacePoolState;
/** A PSInvocationState by name: 'Running', 'Completed', … */
export type PSInvocationStateName = keyof typeof PSInvocationState;

const POOL_NAMES = new Map<number, RunspacePoolStateName>(Object.entries(RunspacePoolState).map(([k, v]) => [v, k as RunspacePoolStateName]));
const PIPE_NAMES = new Map<number, PSInvocationStateName>(Object.entries(PSInvocationState).map(([k, v]) => [v, k as PSInvocationStateName]));

export function runspacePoolStateName<S extends number>(s: S): S extends RunspacePoolState ? RunspacePoolStateName : string;
export function runspacePoolStateName(s: number): string {
  return POOL_NAMES.get(s) ?? `Unknown(${s})`;
}
export function psInvocationStateName<S extends number>(s: S): S extends PSInvocationState ? PSInvocationStateName : string;
export function psInvocationStateName(s: number): string {
  return PIPE_NAMES.get(s) ?? `Unknown(${s})`;
}

export function isTerminalPipelineState(s: number): boolean {
  return s === PSInvocationState.Stopped || s === PSInvocationState.Completed || s === PSInvocationState.Failed;
}

// ---------------------------------------------------------------------------
// Protocol versions

/**
 * Why a client cannot work with a server's SESSION_CAPABILITY, or undefined.
 * C7 / clientremotesession.cs: PSVersion must match; any 2.x protocol is
 * accepted (the lower one is used), and any 1.x serialization.
 */
export function serverCapabilityProblem(cap: { readonly protocolVersion: string; readonly psVersion: string; readonly serializationVersion: string }): string | undefined {
  const proto = parseVersion(cap.protocolVersion);
  const ser = parseVersion(cap.serializationVersion);
  if (proto === undefined || proto[0] !== 2) return `protocol version ${cap.protocolVersion}`;
  if (cap.psVersion !== PS_VERSION) return `PSVersion ${cap.psVersion}`;
  if (ser === undefined || ser[0] !== 1) return `SerializationVersion ${cap.serializationVersion}`;
  return undefined;
}

/** What each protocol version added (EncodeAndDecode.cs; psrpcore ProtocolVersion). */
export const ProtocolVersion = {
  /** Windows 7 RC. */
  Win7RC: '2.0',
  /** PowerShell v2: no disconnect, 150 KiB envelopes. */
  Win7RTM: '2.1',
  /** PowerShell v3: disconnect/connect, client-started key exchange, 500 KiB envelopes. */
  Win8: '2.2',
  /** PowerShell v5: information stream, RESET_RUNSPACE_STATE. */
  Win10: '2.3',
  /** PowerShell 7.6: no session key exchange. */
  Pwsh76: '2.4',
} as const;

export const DEFAULT_PROTOCOL_VERSION = '2.3';
export const PS_VERSION = '2.0';
export const SERIALIZATION_VERSION = '1.1.0.1';

/** Parse 'a.b[.c[.d]]' to numbers; undefined if malformed. */
export function parseVersion(v: string): number[] | undefined {
  if (!/^\d{1,9}(\.\d{1,9}){1,3}$/.test(v.trim())) return undefined;
  return v.trim().split('.').map(Number);
}

/** Compare two versions: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (x === undefined || y === undefined) throw new UsageError(`invalid version ${x === undefined ? a : b}`);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionAtLeast(v: string | undefined, min: string): boolean {
  return v !== undefined && compareVersions(v, min) >= 0;
}

/** The versions this implementation speaks. */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2.1', '2.2', '2.3', '2.4'] as const;

/** Features and the first protocol version that has them (and, for the key exchange, the last). */
export const Feature = {
  /** CONNECT_RUNSPACEPOOL / RUNSPACEPOOL_INIT_DATA, disconnect. */
  Connect: { min: '2.2' },
  /** INFORMATION_RECORD and MergeInformation. */
  InformationStream: { min: '2.3' },
  /** RESET_RUNSPACE_STATE. */
  ResetRunspaceState: { min: '2.3' },
  /** PUBLIC_KEY / ENCRYPTED_SESSION_KEY / PUBLIC_KEY_REQUEST. */
  SessionKeyExchange: { min: '2.0', below: '2.4' },
} as const satisfies Record<string, { min: string; below?: string }>;
export type FeatureName = keyof typeof Feature;

export function featureSupported(feature: FeatureName, version: string): boolean {
  const f: { min: string; below?: string } = Feature[feature];
  return compareVersions(version, f.min) >= 0 && (f.below === undefined || compareVersions(version, f.below) < 0);
}

/** The action needs a protocol version the peer does not have (PSR_PSRP_VERSION; a peer whose capability cannot be negotiated is PSR_PSRP_NEGOTIATION). */
export class InvalidProtocolVersionError extends UsageError {
  readonly action: string;
  readonly currentVersion: string;
  readonly feature: FeatureName;
  constructor(action: string, feature: FeatureName, currentVersion: string) {
    const f: { min: string; below?: string } = Feature[feature];
    super(
      `cannot ${action}: the negotiated protocol version ${currentVersion} does not support ${feature} (needs >= ${f.min}${
        f.below === undefined ? '' : ` and < ${f.below}`
      })`,
      { code: 'PSR_PSRP_VERSION' },
    );
    this.action = action;
    this.currentVersion = currentVersion;
    this.feature = feature;
  }
}

// ---------------------------------------------------------------------------
// Guard tables

const P = RunspacePoolState;
const I = PSInvocationState;

/** Client RunspacePool actions and the states that allow them. */
export const CLIENT_POOL_ACTIONS = {
  open: [P.BeforeOpen],
  connect: [P.BeforeOpen, P.Disconnected],
  close: [P.Opened, P.Broken, P.Closing, P.NegotiationSent, P.NegotiationSucceeded, P.Opening, P.Connecting],
  setMaxRunspaces: [P.BeforeOpen, P.Opened],
  setMinRunspaces: [P.BeforeOpen, P.Opened],
  getAvailableRunspaces: [P.Opened],
  resetRunspaceState: [P.Opened],
  exchangeKey: [P.Opened],
  hostResponse: [P.Opened, P.NegotiationSucceeded],
  createPipeline: [P.Opened],
  disconnect: [P.Opened],
  reconnect: [P.Disconnected],
} as const satisfies Record<string, readonly RunspacePoolState[]>;

/** Server RunspacePool actions and the states that allow them. */
export const SERVER_POOL_ACTIONS = {
  open: [P.NegotiationSucceeded],
  acceptConnect: [P.Opened, P.Disconnected, P.NegotiationSucceeded],
  close: [P.Opened, P.Broken, P.NegotiationSucceeded, P.NegotiationSent, P.Closing, P.Disconnected],
  setBroken: [P.BeforeOpen, P.Opening, P.NegotiationSent, P.NegotiationSucceeded, P.Opened, P.Connecting, P.Disconnected],
  requestPublicKey: [P.Opened],
  hostCall: [P.Opened],
  userEvent: [P.Opened],
  runspaceAvailability: [P.Opened],
  sendSessionKey: [P.Opened],
  writeForPipeline: [P.Opened, P.Disconnected],
} as const satisfies Record<string, readonly RunspacePoolState[]>;

/** Client pipeline actions. */
export const CLIENT_PIPELINE_ACTIONS = {
  connect: [I.NotStarted],
  // A finished pipeline may be invoked again with the same id (pypsrp and .NET do).
  start: [I.NotStarted, I.Completed, I.Failed, I.Stopped],
  modify: [I.NotStarted],
  sendInput: [I.Running],
  sendEnd: [I.Running],
  hostResponse: [I.Running, I.Stopping],
  beginStop: [I.Running, I.Stopping],
  close: [I.NotStarted, I.Stopped, I.Completed, I.Failed, I.Disconnected],
} as const satisfies Record<string, readonly PSInvocationState[]>;

/** Server pipeline actions. */
export const SERVER_PIPELINE_ACTIONS = {
  start: [I.NotStarted],
  write: [I.Running, I.Stopping],
  hostCall: [I.Running],
  complete: [I.Running, I.Stopping],
  fail: [I.NotStarted, I.Running, I.Stopping],
  stop: [I.NotStarted, I.Running, I.Stopping],
  beginStop: [I.Running, I.NotStarted],
} as const satisfies Record<string, readonly PSInvocationState[]>;

export function guardPool(table: Record<string, readonly number[]>, action: string, state: RunspacePoolState): void {
  guard(table, action, state, runspacePoolStateName);
}

export function guardPipeline(table: Record<string, readonly number[]>, action: string, state: PSInvocationState): void {
  guard(table, action, state, psInvocationStateName);
}

function guard(table: Record<string, readonly number[]>, action: string, state: number, nameOf: (s: number) => string): void {
  const allowed = table[action];
  if (allowed !== undefined && !allowed.includes(state)) {
    throw new InvalidStateError(action, nameOf(state), allowed.map(nameOf));
  }
}

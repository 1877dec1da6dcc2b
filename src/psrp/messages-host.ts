// The host in PSRP messages: HostInfo (2.2.3.14), the remote host method
// identifiers (2.2.3.17) and the host call / host response bodies
// (2.2.2.15/16, 2.2.2.27/28).

import * as X from './clixml-bridge.js';
import type { HostCallBody, HostInfo, HostResponseBody, PSInput, PSValue } from './message-types.js';
import { T_ENUM, type Reader } from './messages-reader.js';

const T_HOST_METHOD_ID = ['System.Management.Automation.Remoting.RemoteHostMethodId', ...T_ENUM];
const T_ARRAY_LIST = ['System.Collections.ArrayList', 'System.Object'];

/** RemoteHostMethodId names (2.2.3.17), by value. */
export const HOST_METHOD_NAMES: readonly string[] = [
  '',
  'GetName', 'GetVersion', 'GetInstanceId', 'GetCurrentCulture', 'GetCurrentUICulture', 'SetShouldExit',
  'EnterNestedPrompt', 'ExitNestedPrompt', 'NotifyBeginApplication', 'NotifyEndApplication',
  'ReadLine', 'ReadLineAsSecureString', 'Write1', 'Write2', 'WriteLine1', 'WriteLine2', 'WriteLine3',
  'WriteErrorLine', 'WriteDebugLine', 'WriteProgress', 'WriteVerboseLine', 'WriteWarningLine', 'Prompt',
  'PromptForCredential1', 'PromptForCredential2', 'PromptForChoice',
  'GetForegroundColor', 'SetForegroundColor', 'GetBackgroundColor', 'SetBackgroundColor',
  'GetCursorPosition', 'SetCursorPosition', 'GetWindowPosition', 'SetWindowPosition', 'GetCursorSize',
  'SetCursorSize', 'GetBufferSize', 'SetBufferSize', 'GetWindowSize', 'SetWindowSize', 'GetWindowTitle',
  'SetWindowTitle', 'GetMaxWindowSize', 'GetMaxPhysicalWindowSize', 'GetKeyAvailable', 'ReadKey',
  'FlushInputBuffer', 'SetBufferContents1', 'SetBufferContents2', 'GetBufferContents', 'ScrollBufferContents',
  'PushRunspace', 'PopRunspace', 'GetIsRunspacePushed', 'GetRunspace', 'PromptForChoiceMultipleSelection',
];

/** Host methods without a return value (2.2.3.17 "Return value: None"): the client MUST NOT answer them. */
export const VOID_HOST_METHODS: ReadonlySet<number> = new Set([
  6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 28, 30, 32, 34, 36, 38, 40, 42, 47, 48, 49, 51, 52, 53,
]);

/**
 * The call id Windows puts on host calls that expect no response (its
 * ServerMethodExecutor "no call id"); seen in every recorded void host call.
 */
export const NO_RESPONSE_CALL_ID = -100n;

export function hostMethodReturnsValue(methodId: number): boolean {
  return !VOID_HOST_METHODS.has(methodId);
}

// ---------------------------------------------------------------------------
// HostInfo (2.2.3.14). Windows and pypsrp use underscore names (_isHostNull);
// the spec text lists them without. Both are read; underscores are written, in
// the order PowerShell's client writes them (pwsh 7.4.11 creationXml in
// fixtures/upstream/derived/psrp-fragment-vectors.json; the golden traces).

export function hostInfoToValue(h: HostInfo): PSValue {
  const props: [string, PSValue][] = [
    ['_isHostUINull', h.isHostUINull],
    ['_isHostRawUINull', h.isHostRawUINull],
    ['_isHostNull', h.isHostNull],
  ];
  if (h.hostDefaultData !== undefined) props.push(['_hostDefaultData', h.hostDefaultData]);
  props.push(['_useRunspaceHost', h.useRunspaceHost]);
  return X.makeObject(props);
}

export function hostInfoFromValue(r: Reader, v: PSValue): HostInfo {
  const pick = (n: string): boolean =>
    r.has(`_${n}`, v) ? r.bool(`_${n}`, v) : r.has(n, v) ? r.bool(n, v) : true;
  const data = r.opt('_hostDefaultData', v) ?? r.opt('hostDefaultData', v);
  return {
    isHostNull: pick('isHostNull'),
    isHostUINull: pick('isHostUINull'),
    isHostRawUINull: pick('isHostRawUINull'),
    useRunspaceHost: pick('useRunspaceHost'),
    ...(data === undefined || data === null ? {} : { hostDefaultData: data }),
  };
}

// ---------------------------------------------------------------------------
// RUNSPACEPOOL_HOST_CALL / PIPELINE_HOST_CALL and their responses

export function hostCallToValue(b: HostCallBody): PSValue {
  return X.makeObject([
    ['ci', X.makeInt64(b.ci)],
    ['mi', X.makeEnum(T_HOST_METHOD_ID, b.methodName || HOST_METHOD_NAMES[b.methodId] || String(b.methodId), b.methodId)],
    ['mp', X.makeList(T_ARRAY_LIST, [...b.parameters])],
  ]);
}

export function hostCallFromValue(r: Reader): HostCallBody {
  const mi = r.raw('mi');
  const methodId = r.int('mi');
  return {
    ci: r.long('ci'),
    methodId,
    methodName: X.toStringOf(mi) ?? HOST_METHOD_NAMES[methodId] ?? String(methodId),
    parameters: r.list('mp') ?? [],
  };
}

export function hostResponseToValue(b: HostResponseBody): PSValue {
  const props: [string, PSInput][] = [];
  if (b.result !== undefined) props.push(['mr', b.result]);
  props.push(['ci', X.makeInt64(b.ci)]);
  props.push(['mi', X.makeEnum(T_HOST_METHOD_ID, b.methodName || HOST_METHOD_NAMES[b.methodId] || String(b.methodId), b.methodId)]);
  if (b.error !== undefined) props.push(['me', typeof b.error === 'string' ? hostErrorRecord(b.error) : b.error]);
  return X.makeObject(props);
}

/**
 * "me" is an ErrorRecord in its remoting form (2.2.3.15): PowerShell rebuilds it
 * with ErrorRecord.FromPSObjectForRemoting and reads these properties. A bare
 * string there makes the real engine (SMA 7.6.9) fail inside its host-response
 * handler, and the waiting pipeline never ends.
 */
function hostErrorRecord(message: string): PSValue {
  const reason = 'HostException';
  return X.makeObject([
    ['Exception', X.makeObject([['Message', message]])],
    ['TargetObject', null],
    ['FullyQualifiedErrorId', 'HostMethodFailed'],
    ['ErrorCategory_Category', 0],
    ['ErrorCategory_Activity', ''],
    ['ErrorCategory_Reason', reason],
    ['ErrorCategory_TargetName', ''],
    ['ErrorCategory_TargetType', ''],
    ['ErrorCategory_Message', `NotSpecified: (:) [], ${reason}`],
    ['SerializeExtendedInfo', false],
  ]);
}

export function hostResponseFromValue(r: Reader): HostResponseBody {
  const methodId = r.int('mi');
  return {
    ci: r.long('ci'),
    methodId,
    methodName: X.toStringOf(r.raw('mi')) ?? HOST_METHOD_NAMES[methodId] ?? String(methodId),
    ...(r.has('mr') ? { result: r.raw('mr') } : {}),
    ...(r.has('me') ? { error: r.raw('me') } : {}),
  };
}

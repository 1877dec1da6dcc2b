// Message bodies <-> CLIXML for every MS-PSRP 2.2.2 message type. The shapes
// follow the spec sections and what Windows sends (the pypsrp recordings);
// where they differ, spec-notes/ms-psrp.md says so. All clixml access goes
// through clixml-bridge.ts.

import { RemoteProtocolError } from '../errors.js';
import * as X from './clixml-bridge.js';
import type { SessionKeyCipher } from './key-exchange.js';
import { MessageType, messageTypeSpecName, type MessageTypeValue } from './message.js';
import type {
  CommandSpec,
  CreatePipelineBody,
  HostCallBody,
  HostInfo,
  HostResponseBody,
  MessageBodies,
  PipelineSpec,
  PSValue,
} from './message-types.js';
import type { MessageTypeName } from './message.js';

export interface BodyCodecContext {
  /** Session key cipher for <SS>; undefined before the key exchange. */
  readonly cipher?: SessionKeyCipher | undefined;
  /** Negotiated protocol version (decides optional properties). */
  readonly protocolVersion?: string | undefined;
}

const T_ENUM = ['System.Enum', 'System.ValueType', 'System.Object'];
const T_PS_THREAD_OPTIONS = ['System.Management.Automation.Runspaces.PSThreadOptions', ...T_ENUM];
const T_APARTMENT_STATE = ['System.Threading.ApartmentState', ...T_ENUM];
const T_REMOTE_STREAM_OPTIONS = ['System.Management.Automation.RemoteStreamOptions', ...T_ENUM];
const T_PIPELINE_RESULT_TYPES = ['System.Management.Automation.Runspaces.PipelineResultTypes', ...T_ENUM];
const T_COMMAND_TYPES = ['System.Management.Automation.CommandTypes', ...T_ENUM];
const T_HOST_METHOD_ID = ['System.Management.Automation.Remoting.RemoteHostMethodId', ...T_ENUM];
const T_PSOBJECT_LIST = [
  'System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]',
  'System.Object',
];
const T_STRING_ARRAY = ['System.String[]', 'System.Array', 'System.Object'];
const T_OBJECT_ARRAY = ['System.Object[]', 'System.Array', 'System.Object'];
const T_ARRAY_LIST = ['System.Collections.ArrayList', 'System.Object'];

const PS_THREAD_OPTIONS = ['Default', 'UseNewThread', 'ReuseThread', 'UseCurrentThread'];
const APARTMENT_STATE = ['STA', 'MTA', 'Unknown'];

function enumName(names: readonly string[], v: number): string {
  return names[v] ?? String(v);
}

function flagsName(flags: readonly [number, string][], v: number, zero: string): string {
  if (v === 0) return zero;
  const exact = flags.find(([f]) => f === v);
  if (exact !== undefined) return exact[1];
  const parts = flags.filter(([f]) => f !== 0 && (v & f) === f && (f & (f - 1)) === 0).map(([, n]) => n);
  return parts.length > 0 ? parts.join(', ') : String(v);
}

const RESULT_TYPE_FLAGS: [number, string][] = [
  [1, 'Output'],
  [2, 'Error'],
  [4, 'Warning'],
  [8, 'Verbose'],
  [16, 'Debug'],
  [32, 'Information'],
  [64, 'Null'],
];
const STREAM_OPTION_FLAGS: [number, string][] = [
  [15, 'AddInvocationInfo'],
  [1, 'AddInvocationInfoToErrorRecord'],
  [2, 'AddInvocationInfoToWarningRecord'],
  [4, 'AddInvocationInfoToDebugRecord'],
  [8, 'AddInvocationInfoToVerboseRecord'],
];
const COMMAND_TYPE_FLAGS: [number, string][] = [
  [1, 'Alias'],
  [2, 'Function'],
  [4, 'Filter'],
  [8, 'Cmdlet'],
  [16, 'ExternalScript'],
  [32, 'Application'],
  [64, 'Script'],
  [128, 'Workflow'],
  [256, 'Configuration'],
];

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
// reading helpers: every failure names the message and the property

class Reader {
  constructor(
    readonly root: PSValue,
    readonly where: string,
  ) {}

  fail(message: string): RemoteProtocolError {
    return new RemoteProtocolError('PSR_PSRP_MESSAGE_INVALID', message, { where: this.where });
  }

  has(name: string, from: PSValue = this.root): boolean {
    return X.getProperty(from, name) !== undefined;
  }

  raw(name: string, from: PSValue = this.root): PSValue {
    const v = X.getProperty(from, name);
    if (v === undefined) throw this.fail(`property ${name} is missing`);
    return v;
  }

  opt(name: string, from: PSValue = this.root): PSValue | undefined {
    return X.getProperty(from, name);
  }

  int(name: string, from: PSValue = this.root): number {
    const v = X.readInt(this.raw(name, from));
    if (v === undefined) throw this.fail(`property ${name} is not an integer`);
    return v;
  }

  long(name: string, from: PSValue = this.root): bigint {
    const v = X.readInt64(this.raw(name, from));
    if (v === undefined) throw this.fail(`property ${name} is not an integer`);
    return v;
  }

  bool(name: string, from: PSValue = this.root): boolean {
    const v = X.readBool(this.raw(name, from));
    if (v === undefined) throw this.fail(`property ${name} is not a boolean`);
    return v;
  }

  boolOr(name: string, dflt: boolean, from: PSValue = this.root): boolean {
    return this.has(name, from) ? this.bool(name, from) : dflt;
  }

  str(name: string, from: PSValue = this.root): string {
    const v = X.readString(this.raw(name, from));
    if (v === undefined) throw this.fail(`property ${name} is not a string`);
    return v;
  }

  strOrNull(name: string, from: PSValue = this.root): string | null {
    const v = this.opt(name, from);
    if (v === undefined || v === null) return null;
    const s = X.readString(v);
    if (s === undefined) throw this.fail(`property ${name} is not a string`);
    return s;
  }

  version(name: string): string {
    const v = X.readVersion(this.raw(name));
    if (v === undefined) throw this.fail(`property ${name} is not a version`);
    return v;
  }

  list(name: string, from: PSValue = this.root): PSValue[] | null {
    const v = this.opt(name, from);
    if (v === undefined || v === null) return null;
    const l = X.readList(v);
    if (l === undefined) throw this.fail(`property ${name} is not a list`);
    return l;
  }
}

// ---------------------------------------------------------------------------
// HostInfo (2.2.3.14). Windows and pypsrp use underscore names (_isHostNull);
// the spec text lists them without. Both are read; underscores are written, in
// the order PowerShell's client writes them (pwsh 7.4.11 creationXml in
// fixtures/upstream/derived/psrp-fragment-vectors.json; the golden traces).

function hostInfoToValue(h: HostInfo): PSValue {
  const props: [string, PSValue][] = [
    ['_isHostUINull', h.isHostUINull],
    ['_isHostRawUINull', h.isHostRawUINull],
    ['_isHostNull', h.isHostNull],
  ];
  if (h.hostDefaultData !== undefined) props.push(['_hostDefaultData', h.hostDefaultData]);
  props.push(['_useRunspaceHost', h.useRunspaceHost]);
  return X.makeObject(props);
}

function hostInfoFromValue(r: Reader, v: PSValue): HostInfo {
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
// Pipeline (2.2.3.11-13)

function commandToValue(c: CommandSpec): PSValue {
  const rt = (n: number): PSValue =>
    X.makeEnum(T_PIPELINE_RESULT_TYPES, flagsName(RESULT_TYPE_FLAGS, n, 'None'), n);
  const args = c.parameters.map((p) => X.makeObject([['N', p.name], ['V', p.value]]));
  const props: [string, PSValue][] = [
    ['Cmd', c.command],
    ['IsScript', c.isScript],
    ['UseLocalScope', c.useLocalScope],
    ['MergeMyResult', rt(c.mergeMyResult)],
    ['MergeToResult', rt(c.mergeToResult)],
    ['MergePreviousResults', rt(c.mergePreviousResults)],
    ['Args', X.makeList(T_PSOBJECT_LIST, args)],
    ['MergeError', rt(c.mergeError)],
    ['MergeWarning', rt(c.mergeWarning)],
    ['MergeVerbose', rt(c.mergeVerbose)],
    ['MergeDebug', rt(c.mergeDebug)],
  ];
  if (c.mergeInformation !== undefined) props.push(['MergeInformation', rt(c.mergeInformation)]);
  return X.makeObject(props);
}

function commandFromValue(r: Reader, v: PSValue): CommandSpec {
  const rt = (n: string): number => (r.has(n, v) ? r.int(n, v) : 0);
  const args = r.list('Args', v) ?? [];
  return {
    command: r.str('Cmd', v),
    isScript: r.bool('IsScript', v),
    useLocalScope: r.has('UseLocalScope', v) && r.raw('UseLocalScope', v) !== null ? r.bool('UseLocalScope', v) : null,
    parameters: args.map((a) => ({ name: r.strOrNull('N', a), value: r.opt('V', a) ?? null })),
    mergeMyResult: rt('MergeMyResult'),
    mergeToResult: rt('MergeToResult'),
    mergePreviousResults: rt('MergePreviousResults'),
    mergeError: rt('MergeError'),
    mergeWarning: rt('MergeWarning'),
    mergeVerbose: rt('MergeVerbose'),
    mergeDebug: rt('MergeDebug'),
    mergeInformation: r.has('MergeInformation', v) ? r.int('MergeInformation', v) : undefined,
  };
}

function pipelineToValue(p: PipelineSpec): PSValue {
  const cmds = (s: readonly CommandSpec[]): PSValue => X.makeList(T_PSOBJECT_LIST, s.map(commandToValue));
  const props: [string, PSValue][] = [['IsNested', p.isNested]];
  // PowerShell sends several statements as ExtraCmds (all of them) plus Cmds (the first).
  if (p.statements.length > 1) {
    props.push(['ExtraCmds', X.makeList(T_PSOBJECT_LIST, p.statements.map((s) => X.makeObject([['Cmds', cmds(s)]])))]);
  }
  props.push(['Cmds', cmds(p.statements[0] ?? [])]);
  props.push(['History', p.history]);
  props.push(['RedirectShellErrorOutputPipe', p.redirectShellErrorOutputPipe]);
  return X.makeObject(props);
}

function pipelineFromValue(r: Reader, v: PSValue): PipelineSpec {
  const cmds = (l: PSValue[] | null): CommandSpec[] => (l ?? []).map((c) => commandFromValue(r, c));
  const extra = r.list('ExtraCmds', v);
  const statements = extra !== null && extra.length > 0 ? extra.map((s) => cmds(r.list('Cmds', s))) : [cmds(r.list('Cmds', v))];
  return {
    isNested: r.boolOr('IsNested', false, v),
    statements,
    history: r.strOrNull('History', v),
    redirectShellErrorOutputPipe: r.boolOr('RedirectShellErrorOutputPipe', false, v),
  };
}

// ---------------------------------------------------------------------------
// host calls (2.2.2.15/16)

function hostCallToValue(b: HostCallBody): PSValue {
  return X.makeObject([
    ['ci', X.makeInt64(b.ci)],
    ['mi', X.makeEnum(T_HOST_METHOD_ID, b.methodName || HOST_METHOD_NAMES[b.methodId] || String(b.methodId), b.methodId)],
    ['mp', X.makeList(T_ARRAY_LIST, [...b.parameters])],
  ]);
}

function hostCallFromValue(r: Reader): HostCallBody {
  const mi = r.raw('mi');
  const methodId = r.int('mi');
  return {
    ci: r.long('ci'),
    methodId,
    methodName: X.toStringOf(mi) ?? HOST_METHOD_NAMES[methodId] ?? String(methodId),
    parameters: r.list('mp') ?? [],
  };
}

function hostResponseToValue(b: HostResponseBody): PSValue {
  const props: [string, PSValue][] = [];
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

function hostResponseFromValue(r: Reader): HostResponseBody {
  const methodId = r.int('mi');
  return {
    ci: r.long('ci'),
    methodId,
    methodName: X.toStringOf(r.raw('mi')) ?? HOST_METHOD_NAMES[methodId] ?? String(methodId),
    ...(r.has('mr') ? { result: r.raw('mr') } : {}),
    ...(r.has('me') ? { error: r.raw('me') } : {}),
  };
}

// ---------------------------------------------------------------------------
// encode

type AnyBody = MessageBodies[MessageTypeName];

function bodyToValue(type: MessageTypeValue, body: AnyBody): PSValue {
  const b = body as never as Record<string, never>;
  switch (type) {
    case MessageType.SessionCapability: {
      const x = body as MessageBodies['SessionCapability'];
      const props: [string, PSValue][] = [
        ['protocolversion', X.makeVersion(x.protocolVersion)],
        ['PSVersion', X.makeVersion(x.psVersion)],
        ['SerializationVersion', X.makeVersion(x.serializationVersion)],
      ];
      if (x.timeZone !== undefined) props.push(['TimeZone', x.timeZone]);
      return X.makeObject(props);
    }
    case MessageType.InitRunspacePool: {
      const x = body as MessageBodies['InitRunspacePool'];
      return X.makeObject([
        ['MinRunspaces', x.minRunspaces],
        ['MaxRunspaces', x.maxRunspaces],
        ['PSThreadOptions', X.makeEnum(T_PS_THREAD_OPTIONS, enumName(PS_THREAD_OPTIONS, x.threadOptions), x.threadOptions)],
        ['ApartmentState', X.makeEnum(T_APARTMENT_STATE, enumName(APARTMENT_STATE, x.apartmentState), x.apartmentState)],
        ['HostInfo', hostInfoToValue(x.hostInfo)],
        ['ApplicationArguments', x.applicationArguments],
      ]);
    }
    case MessageType.PublicKey:
      return X.makeObject([['PublicKey', (body as MessageBodies['PublicKey']).publicKey]]);
    case MessageType.EncryptedSessionKey:
      return X.makeObject([['EncryptedSessionKey', (body as MessageBodies['EncryptedSessionKey']).encryptedSessionKey]]);
    case MessageType.PublicKeyRequest:
      return '';
    case MessageType.SetMaxRunspaces: {
      const x = body as MessageBodies['SetMaxRunspaces'];
      return X.makeObject([['MaxRunspaces', x.maxRunspaces], ['ci', X.makeInt64(x.ci)]]);
    }
    case MessageType.SetMinRunspaces: {
      const x = body as MessageBodies['SetMinRunspaces'];
      return X.makeObject([['MinRunspaces', x.minRunspaces], ['ci', X.makeInt64(x.ci)]]);
    }
    case MessageType.RunspaceAvailability: {
      const x = body as MessageBodies['RunspaceAvailability'];
      const resp = typeof x.response === 'bigint' ? X.makeInt64(x.response) : x.response;
      return X.makeObject([['SetMinMaxRunspacesResponse', resp], ['ci', X.makeInt64(x.ci)]]);
    }
    case MessageType.RunspacePoolState: {
      const x = body as MessageBodies['RunspacePoolState'];
      const props: [string, PSValue][] = [['RunspaceState', x.state]];
      if (x.error !== undefined) props.push(['ExceptionAsErrorRecord', x.error]);
      return X.makeObject(props);
    }
    case MessageType.CreatePipeline: {
      const x = body as CreatePipelineBody;
      return X.makeObject([
        ['NoInput', x.noInput],
        ['ApartmentState', X.makeEnum(T_APARTMENT_STATE, enumName(APARTMENT_STATE, x.apartmentState), x.apartmentState)],
        ['RemoteStreamOptions', X.makeEnum(T_REMOTE_STREAM_OPTIONS, flagsName(STREAM_OPTION_FLAGS, x.remoteStreamOptions, 'None'), x.remoteStreamOptions)],
        ['AddToHistory', x.addToHistory],
        ['HostInfo', hostInfoToValue(x.hostInfo)],
        ['PowerShell', pipelineToValue(x.pipeline)],
        ['IsNested', x.isNested],
      ]);
    }
    case MessageType.GetAvailableRunspaces:
      return X.makeObject([['ci', X.makeInt64((body as MessageBodies['GetAvailableRunspaces']).ci)]]);
    case MessageType.UserEvent: {
      const x = body as MessageBodies['UserEvent'];
      return X.makeObject([
        ['PSEventArgs.EventIdentifier', x.eventIdentifier],
        ['PSEventArgs.SourceIdentifier', x.sourceIdentifier],
        ['PSEventArgs.TimeGenerated', x.timeGenerated],
        ['PSEventArgs.Sender', x.sender],
        ['PSEventArgs.SourceArgs', x.sourceArgs],
        ['PSEventArgs.MessageData', x.messageData],
        ['PSEventArgs.ComputerName', x.computerName],
        ['PSEventArgs.RunspaceId', X.makeGuid(x.runspaceId)],
      ]);
    }
    case MessageType.ApplicationPrivateData:
      return X.makeObject([['ApplicationPrivateData', (body as MessageBodies['ApplicationPrivateData']).data]]);
    case MessageType.GetCommandMetadata: {
      const x = body as MessageBodies['GetCommandMetadata'];
      const strs = (l: readonly string[] | null): PSValue => (l === null ? null : X.makeList(T_STRING_ARRAY, [...l]));
      return X.makeObject([
        ['Name', strs(x.name)],
        ['CommandType', X.makeEnum(T_COMMAND_TYPES, flagsName(COMMAND_TYPE_FLAGS, x.commandType, 'None'), x.commandType)],
        ['Namespace', strs(x.namespace)],
        ['ArgumentList', x.argumentList === null ? null : X.makeList(T_OBJECT_ARRAY, [...x.argumentList])],
      ]);
    }
    case MessageType.RunspacePoolHostCall:
    case MessageType.PipelineHostCall:
      return hostCallToValue(body as HostCallBody);
    case MessageType.RunspacePoolHostResponse:
    case MessageType.PipelineHostResponse:
      return hostResponseToValue(body as HostResponseBody);
    case MessageType.PipelineInput:
    case MessageType.PipelineOutput:
      return (body as MessageBodies['PipelineOutput']).value;
    case MessageType.EndOfPipelineInput:
      return undefined;
    case MessageType.ErrorRecord:
    case MessageType.DebugRecord:
    case MessageType.VerboseRecord:
    case MessageType.WarningRecord:
    case MessageType.ProgressRecord:
    case MessageType.InformationRecord:
      return (body as MessageBodies['ErrorRecord']).record;
    case MessageType.PipelineState: {
      const x = body as MessageBodies['PipelineState'];
      const props: [string, PSValue][] = [['PipelineState', x.state]];
      if (x.error !== undefined) props.push(['ExceptionAsErrorRecord', x.error]);
      return X.makeObject(props);
    }
    case MessageType.ConnectRunspacePool: {
      const x = body as MessageBodies['ConnectRunspacePool'];
      // 2.2.2.29: an empty string means "the defaults"; pypsrp sends a bare <S />.
      if (x.minRunspaces === undefined && x.maxRunspaces === undefined) return '';
      const props: [string, PSValue][] = [];
      if (x.minRunspaces !== undefined) props.push(['MinRunspaces', x.minRunspaces]);
      if (x.maxRunspaces !== undefined) props.push(['MaxRunspaces', x.maxRunspaces]);
      return X.makeObject(props);
    }
    case MessageType.RunspacePoolInitData: {
      const x = body as MessageBodies['RunspacePoolInitData'];
      return X.makeObject([['MinRunspaces', x.minRunspaces], ['MaxRunspaces', x.maxRunspaces]]);
    }
    case MessageType.ResetRunspaceState:
      return X.makeObject([['ci', X.makeInt64((body as MessageBodies['ResetRunspaceState']).ci)]]);
    default: {
      const never: never = type;
      void b;
      throw new TypeError(`no encoder for message type ${String(never)}`);
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
    case MessageType.SessionCapability: {
      const tz = r.opt('TimeZone');
      const tzBytes = tz === undefined || tz === null ? undefined : X.readBytes(tz);
      return {
        protocolVersion: r.version('protocolversion'),
        psVersion: r.version('PSVersion'),
        serializationVersion: r.version('SerializationVersion'),
        ...(tzBytes === undefined ? {} : { timeZone: tzBytes }),
      };
    }
    case MessageType.InitRunspacePool:
      return {
        minRunspaces: r.int('MinRunspaces'),
        maxRunspaces: r.int('MaxRunspaces'),
        threadOptions: r.has('PSThreadOptions') ? r.int('PSThreadOptions') : 0,
        apartmentState: r.has('ApartmentState') ? r.int('ApartmentState') : 2,
        hostInfo: hostInfoFromValue(r, r.raw('HostInfo')),
        applicationArguments: r.opt('ApplicationArguments') ?? null,
      };
    case MessageType.PublicKey:
      return { publicKey: r.str('PublicKey').trim() };
    case MessageType.EncryptedSessionKey:
      return { encryptedSessionKey: r.str('EncryptedSessionKey').trim() };
    case MessageType.PublicKeyRequest:
      return {};
    case MessageType.SetMaxRunspaces:
      return { ci: r.long('ci'), maxRunspaces: r.int('MaxRunspaces') };
    case MessageType.SetMinRunspaces:
      return { ci: r.long('ci'), minRunspaces: r.int('MinRunspaces') };
    case MessageType.RunspaceAvailability: {
      const raw = r.raw('SetMinMaxRunspacesResponse');
      const bool = X.readBool(raw);
      const response = bool !== undefined ? bool : X.readInt64(raw);
      if (response === undefined) throw r.fail('SetMinMaxRunspacesResponse is neither a boolean nor an integer');
      return { ci: r.long('ci'), response };
    }
    case MessageType.RunspacePoolState:
      return { state: r.int('RunspaceState'), ...(r.has('ExceptionAsErrorRecord') ? { error: r.raw('ExceptionAsErrorRecord') } : {}) };
    case MessageType.CreatePipeline:
      return {
        noInput: r.boolOr('NoInput', true),
        apartmentState: r.has('ApartmentState') ? r.int('ApartmentState') : 2,
        remoteStreamOptions: r.has('RemoteStreamOptions') ? r.int('RemoteStreamOptions') : 0,
        addToHistory: r.boolOr('AddToHistory', false),
        hostInfo: r.has('HostInfo') ? hostInfoFromValue(r, r.raw('HostInfo')) : { isHostNull: true, isHostUINull: true, isHostRawUINull: true, useRunspaceHost: true },
        pipeline: pipelineFromValue(r, r.raw('PowerShell')),
        isNested: r.boolOr('IsNested', false),
      };
    case MessageType.GetAvailableRunspaces:
      return { ci: r.long('ci') };
    case MessageType.UserEvent: {
      const guid = X.readGuid(r.raw('PSEventArgs.RunspaceId'));
      if (guid === undefined) throw r.fail('PSEventArgs.RunspaceId is not a GUID');
      return {
        eventIdentifier: r.int('PSEventArgs.EventIdentifier'),
        sourceIdentifier: r.str('PSEventArgs.SourceIdentifier'),
        timeGenerated: r.opt('PSEventArgs.TimeGenerated') ?? null,
        sender: r.opt('PSEventArgs.Sender') ?? null,
        sourceArgs: r.opt('PSEventArgs.SourceArgs') ?? null,
        messageData: r.opt('PSEventArgs.MessageData') ?? null,
        computerName: r.strOrNull('PSEventArgs.ComputerName'),
        runspaceId: guid,
      };
    }
    case MessageType.ApplicationPrivateData:
      return { data: r.opt('ApplicationPrivateData') ?? null };
    case MessageType.GetCommandMetadata: {
      const strs = (n: string): string[] | null => {
        const l = r.list(n);
        if (l === null) return null;
        return l.map((s) => {
          const t = X.readString(s);
          if (t === undefined) throw r.fail(`${n} holds a non-string`);
          return t;
        });
      };
      return {
        name: strs('Name'),
        commandType: r.has('CommandType') ? r.int('CommandType') : 15,
        namespace: strs('Namespace'),
        argumentList: r.list('ArgumentList'),
      };
    }
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
      return { state: r.int('PipelineState'), ...(r.has('ExceptionAsErrorRecord') ? { error: r.raw('ExceptionAsErrorRecord') } : {}) };
    case MessageType.ConnectRunspacePool: {
      if (typeof v === 'string' || v === null) return {};
      return {
        ...(r.has('MinRunspaces') ? { minRunspaces: r.int('MinRunspaces') } : {}),
        ...(r.has('MaxRunspaces') ? { maxRunspaces: r.int('MaxRunspaces') } : {}),
      };
    }
    case MessageType.RunspacePoolInitData:
      return { minRunspaces: r.int('MinRunspaces'), maxRunspaces: r.int('MaxRunspaces') };
    case MessageType.ResetRunspaceState:
      return { ci: r.long('ci') };
    default: {
      const never: never = type;
      throw new TypeError(`no decoder for message type ${String(never)}`);
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
export function encodeValue(value: PSValue, ctx: BodyCodecContext = {}): string {
  return X.serializeValue(value, ctx);
}

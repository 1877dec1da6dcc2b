// Typed views of the record objects of MS-PSRP 2.2.3 and 2.2.5.1.25/26 that a
// pipeline emits: ErrorRecord (2.2.3.15, with the InvocationInfo properties of
// 2.2.3.15.1), InformationalRecord (Warning/Verbose/Debug, 2.2.3.16),
// InformationRecord (2.2.5.1.26) and ProgressRecord (2.2.5.1.25, and the <PR>
// form). Readers are lenient about what is missing (Windows versions differ)
// and return undefined for a value that is not such a record; builders write
// the shape Windows PowerShell sends. The messages that carry these are in
// psrp/messages.ts.

import { PSDateTime } from './time.js';
import { PSUInt32 } from './primitives.js';
import { PSObject, PSProgressRecord, type PSMember, type PSValue } from './values.js';

/** ErrorCategory (2.2.3.9), by value. */
export const ERROR_CATEGORY_NAMES: Readonly<Record<number, string>> = {
  0: 'NotSpecified', 1: 'OpenError', 2: 'CloseError', 3: 'DeviceError', 4: 'DeadlockDetected', 5: 'InvalidArgument',
  6: 'InvalidData', 7: 'InvalidOperation', 8: 'InvalidResult', 9: 'InvalidType', 10: 'MetadataError',
  11: 'NotImplemented', 12: 'NotInstalled', 13: 'ObjectNotFound', 14: 'OperationStopped', 15: 'OperationTimeout',
  16: 'SyntaxError', 17: 'ParserError', 18: 'PermissionDenied', 19: 'ResourceBusy', 20: 'ResourceExists',
  21: 'ResourceUnavailable', 22: 'ReadError', 23: 'WriteError', 24: 'FromStdErr', 25: 'SecurityError',
  26: 'ProtocolError', 27: 'ConnectionError', 28: 'AuthenticationError', 29: 'LimitsExceeded', 30: 'QuotaExceeded',
  31: 'NotEnabled',
};

const T_ERROR_RECORD = ['System.Management.Automation.ErrorRecord', 'System.Object'];
const T_INFORMATION_RECORD = ['System.Management.Automation.InformationRecord', 'System.Object'];
const T_PROGRESS_TYPE = ['System.Management.Automation.ProgressRecordType', 'System.Enum', 'System.ValueType', 'System.Object'];
const T_ERROR_CATEGORY = ['System.Management.Automation.ErrorCategory', 'System.Enum', 'System.ValueType', 'System.Object'];

function prop(o: PSValue | PSMember | undefined, name: string): PSMember | undefined {
  return o instanceof PSObject ? o.get(name) : undefined;
}

function unwrap(v: PSMember | undefined): PSMember | undefined {
  return v instanceof PSObject && v.value !== undefined ? v.value : v;
}

function str(v: PSMember | undefined): string | undefined {
  const x = unwrap(v);
  return typeof x === 'string' ? x : undefined;
}

function int(v: PSMember | undefined): number | undefined {
  const x = unwrap(v);
  if (typeof x === 'number') return x;
  if (x !== null && typeof x === 'object' && 'tag' in x && typeof (x as { value?: unknown }).value !== 'undefined') {
    const n = Number((x as { value: unknown }).value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function bool(v: PSMember | undefined): boolean | undefined {
  const x = unwrap(v);
  return typeof x === 'boolean' ? x : undefined;
}

function ints(v: PSMember | undefined): number[] | undefined {
  if (!(v instanceof PSObject) || v.list === undefined) return undefined;
  return v.list.map((x) => int(x) ?? 0);
}

function hasType(v: PSValue, suffix: string): boolean {
  return v instanceof PSObject && v.typeNames !== undefined && v.typeNames.some((t) => t === suffix || t === `Deserialized.${suffix}`);
}

export interface InvocationInfoData {
  readonly invocationName: string | undefined;
  readonly commandName: string | undefined;
  readonly line: string | undefined;
  readonly offsetInLine: number | undefined;
  readonly positionMessage: string | undefined;
  readonly scriptName: string | undefined;
  readonly scriptLineNumber: number | undefined;
  readonly historyId: number | undefined;
  readonly pipelineLength: number | undefined;
  readonly pipelinePosition: number | undefined;
  readonly expectingInput: boolean | undefined;
  readonly commandOrigin: string | undefined;
  readonly boundParameters: PSMember | undefined;
  readonly unboundArguments: PSMember | undefined;
  readonly pipelineIterationInfo: number[] | undefined;
}

/** The InvocationInfo_* extended properties (2.2.3.15.1) of an error or informational record. */
export function readInvocationInfo(o: PSValue): InvocationInfoData | undefined {
  if (!(o instanceof PSObject) || prop(o, 'InvocationInfo_InvocationName') === undefined) return undefined;
  const p = (n: string) => prop(o, `InvocationInfo_${n}`);
  const origin = p('CommandOrigin');
  return {
    invocationName: str(p('InvocationName')),
    commandName: str(prop(o, 'CommandInfo_Name')) ?? str(prop(prop(o, 'InvocationInfo_MyCommand'), 'Name')),
    line: str(p('Line')),
    offsetInLine: int(p('OffsetInLine')),
    positionMessage: str(p('PositionMessage')),
    scriptName: str(p('ScriptName')),
    scriptLineNumber: int(p('ScriptLineNumber')),
    historyId: int(p('HistoryId')),
    pipelineLength: int(p('PipelineLength')),
    pipelinePosition: int(p('PipelinePosition')),
    expectingInput: bool(p('ExpectingInput')),
    commandOrigin: origin instanceof PSObject ? origin.toStringText : undefined,
    boundParameters: p('BoundParameters'),
    unboundArguments: p('UnboundArguments'),
    pipelineIterationInfo: ints(p('PipelineIterationInfo')),
  };
}

export interface ErrorRecordData {
  /** What PowerShell would print first: ErrorDetails_Message, else the exception's Message, else ToString. */
  readonly message: string;
  readonly exception: PSMember | undefined;
  readonly exceptionMessage: string | undefined;
  readonly exceptionTypeNames: readonly string[] | undefined;
  readonly targetObject: PSMember | undefined;
  readonly fullyQualifiedErrorId: string | undefined;
  readonly category: {
    readonly value: number | undefined;
    readonly name: string | undefined;
    readonly activity: string | undefined;
    readonly reason: string | undefined;
    readonly targetName: string | undefined;
    readonly targetType: string | undefined;
    /** The CategoryInfo line: "ObjectNotFound: (fake:String) [], CommandNotFoundException". */
    readonly message: string | undefined;
  };
  readonly errorDetails: { readonly message: string | undefined; readonly recommendedAction: string | undefined };
  readonly scriptStackTrace: string | undefined;
  readonly invocationInfo: InvocationInfoData | undefined;
  readonly pipelineIterationInfo: number[] | undefined;
}

/** An ErrorRecord (by type name, or by its FullyQualifiedErrorId/ErrorCategory_Category properties). */
export function readErrorRecord(v: PSValue): ErrorRecordData | undefined {
  if (!(v instanceof PSObject)) return undefined;
  if (!hasType(v, 'System.Management.Automation.ErrorRecord') && prop(v, 'ErrorCategory_Category') === undefined && prop(v, 'FullyQualifiedErrorId') === undefined) return undefined;
  const ex = prop(v, 'Exception');
  const exMessage = str(prop(ex, 'Message')) ?? (typeof ex === 'string' ? ex : undefined);
  const catValue = int(prop(v, 'ErrorCategory_Category'));
  const details = str(prop(v, 'ErrorDetails_Message'));
  const message = details ?? exMessage ?? (ex instanceof PSObject ? ex.toStringText : undefined) ?? v.toStringText ?? '';
  return {
    message,
    exception: ex,
    exceptionMessage: exMessage,
    exceptionTypeNames: ex instanceof PSObject ? ex.typeNames : undefined,
    targetObject: prop(v, 'TargetObject'),
    fullyQualifiedErrorId: str(prop(v, 'FullyQualifiedErrorId')),
    category: {
      value: catValue,
      name: catValue === undefined ? undefined : ERROR_CATEGORY_NAMES[catValue],
      activity: str(prop(v, 'ErrorCategory_Activity')),
      reason: str(prop(v, 'ErrorCategory_Reason')),
      targetName: str(prop(v, 'ErrorCategory_TargetName')),
      targetType: str(prop(v, 'ErrorCategory_TargetType')),
      message: str(prop(v, 'ErrorCategory_Message')),
    },
    errorDetails: { message: details, recommendedAction: str(prop(v, 'ErrorDetails_RecommendedAction')) },
    scriptStackTrace: str(prop(v, 'ErrorDetails_ScriptStackTrace')),
    invocationInfo: readInvocationInfo(v),
    pipelineIterationInfo: ints(prop(v, 'PipelineIterationInfo')),
  };
}

/** Builds a minimal ErrorRecord as PowerShell serializes one (no InvocationInfo). */
export function makeErrorRecord(init: {
  message: string;
  fullyQualifiedErrorId?: string;
  category?: number;
  exceptionType?: string;
  targetObject?: PSValue;
}): PSObject {
  const category = init.category ?? 0;
  const exType = init.exceptionType ?? 'System.Management.Automation.RuntimeException';
  const exception = new PSObject({
    typeNames: [exType, 'System.Exception', 'System.Object'],
    toStringText: `${exType}: ${init.message}`,
    adapted: { Message: init.message, Data: null, InnerException: null, HelpLink: null, Source: null, HResult: -2146233087 },
  });
  const reason = exType.slice(exType.lastIndexOf('.') + 1);
  const catName = ERROR_CATEGORY_NAMES[category] ?? 'NotSpecified';
  return new PSObject({
    typeNames: T_ERROR_RECORD,
    toStringText: init.message,
    extended: {
      Exception: exception,
      TargetObject: init.targetObject ?? null,
      FullyQualifiedErrorId: init.fullyQualifiedErrorId ?? reason,
      InvocationInfo: null,
      ErrorCategory_Category: category,
      ErrorCategory_Activity: '',
      ErrorCategory_Reason: reason,
      ErrorCategory_TargetName: '',
      ErrorCategory_TargetType: '',
      ErrorCategory_Message: `${catName}: (:) [], ${reason}`,
      SerializeExtendedInfo: false,
      ErrorDetails_ScriptStackTrace: null,
    },
  });
}

export interface InformationalRecordData {
  /** Warning, Verbose or Debug, from the type names; undefined when they do not say. */
  readonly kind: 'Warning' | 'Verbose' | 'Debug' | undefined;
  readonly message: string;
  readonly invocationInfo: InvocationInfoData | undefined;
  readonly pipelineIterationInfo: number[] | undefined;
}

/** A DebugRecord, VerboseRecord or WarningRecord (2.2.3.16). */
export function readInformationalRecord(v: PSValue): InformationalRecordData | undefined {
  const message = str(prop(v, 'InformationalRecord_Message'));
  if (message === undefined || !(v instanceof PSObject)) return undefined;
  const kinds = ['Warning', 'Verbose', 'Debug'] as const;
  const kind = kinds.find((k) => hasType(v, `System.Management.Automation.${k}Record`));
  return { kind, message, invocationInfo: readInvocationInfo(v), pipelineIterationInfo: ints(prop(v, 'InformationalRecord_PipelineIterationInfo')) };
}

/** Builds a Warning/Verbose/Debug record as PowerShell serializes one without invocation info. */
export function makeInformationalRecord(kind: 'Warning' | 'Verbose' | 'Debug', message: string): PSObject {
  return new PSObject({
    typeNames: [`System.Management.Automation.${kind}Record`, 'System.Management.Automation.InformationalRecord', 'System.Object'],
    toStringText: message,
    extended: { InformationalRecord_Message: message, InformationalRecord_SerializeInvocationInfo: false },
  });
}

export interface InformationRecordData {
  readonly messageData: PSMember | undefined;
  /** MessageData as text (its ToString when it is an object). */
  readonly message: string;
  readonly source: string | undefined;
  readonly timeGenerated: PSDateTime | undefined;
  readonly tags: string[];
  readonly user: string | undefined;
  readonly computer: string | undefined;
  readonly processId: number | undefined;
  readonly nativeThreadId: number | undefined;
  readonly managedThreadId: number | undefined;
}

/** An InformationRecord (Write-Information / Write-Host output, 2.2.5.1.26). */
export function readInformationRecord(v: PSValue): InformationRecordData | undefined {
  if (!(v instanceof PSObject) || (v.get('MessageData') === undefined && !hasType(v, 'System.Management.Automation.InformationRecord'))) return undefined;
  const data = v.get('MessageData');
  const tags = v.get('Tags');
  const t = unwrap(v.get('TimeGenerated'));
  return {
    messageData: data,
    message: typeof data === 'string' ? data : data instanceof PSObject ? (data.toStringText ?? str(data) ?? '') : data === null || data === undefined ? '' : String(data),
    source: str(v.get('Source')),
    timeGenerated: t instanceof PSDateTime ? t : undefined,
    tags: tags instanceof PSObject && tags.list !== undefined ? tags.list.filter((x): x is string => typeof x === 'string') : [],
    user: str(v.get('User')),
    computer: str(v.get('Computer')),
    processId: int(v.get('ProcessId')),
    nativeThreadId: int(v.get('NativeThreadId')),
    managedThreadId: int(v.get('ManagedThreadId')),
  };
}

/** Builds an InformationRecord (the extended-property shape of a PSRP INFORMATION_RECORD). */
export function makeInformationRecord(init: { messageData: PSValue; source?: string; timeGenerated?: PSDateTime; tags?: string[]; user?: string; computer?: string }): PSObject {
  return new PSObject({
    typeNames: T_INFORMATION_RECORD,
    extended: {
      MessageData: init.messageData,
      Source: init.source ?? '',
      TimeGenerated: init.timeGenerated ?? PSDateTime.fromDate(new Date()),
      Tags: PSObject.list(init.tags ?? [], ['System.Collections.Generic.List`1[[System.String]]', 'System.Object']),
      User: init.user ?? '',
      Computer: init.computer ?? '',
      ProcessId: new PSUInt32(0),
      NativeThreadId: new PSUInt32(0),
      ManagedThreadId: new PSUInt32(0),
    },
  });
}

export interface ProgressRecordData {
  readonly activity: string;
  readonly activityId: number;
  readonly statusDescription: string;
  readonly currentOperation: string | null;
  readonly parentActivityId: number;
  readonly percentComplete: number;
  readonly secondsRemaining: number;
  /** Processing or Completed. */
  readonly recordType: string;
}

/** A ProgressRecord in the PSRP form (2.2.5.1.25) or the serializer's <PR> form. */
export function readProgressRecord(v: PSValue): ProgressRecordData | undefined {
  if (v instanceof PSProgressRecord) {
    const { activity, activityId, statusDescription, currentOperation, parentActivityId, percentComplete, secondsRemaining, recordType } = v;
    return { activity, activityId, statusDescription, currentOperation, parentActivityId, percentComplete, secondsRemaining, recordType };
  }
  if (!(v instanceof PSObject) || str(v.get('Activity')) === undefined || v.get('ActivityId') === undefined) return undefined;
  const type = v.get('Type');
  const op = v.get('CurrentOperation');
  return {
    activity: str(v.get('Activity')) ?? '',
    activityId: int(v.get('ActivityId')) ?? 0,
    statusDescription: str(v.get('StatusDescription')) ?? '',
    currentOperation: typeof op === 'string' ? op : null,
    parentActivityId: int(v.get('ParentActivityId')) ?? -1,
    percentComplete: int(v.get('PercentComplete')) ?? -1,
    secondsRemaining: int(v.get('SecondsRemaining')) ?? -1,
    recordType: type instanceof PSObject ? (type.toStringText ?? (int(type) === 1 ? 'Completed' : 'Processing')) : 'Processing',
  };
}

/** Builds the PSRP form of a ProgressRecord (2.2.5.1.25). */
export function makeProgressRecord(r: Partial<ProgressRecordData> & { activity: string }): PSObject {
  const completed = r.recordType === 'Completed';
  return new PSObject({
    extended: {
      Activity: r.activity,
      ActivityId: r.activityId ?? 0,
      StatusDescription: r.statusDescription ?? '',
      CurrentOperation: r.currentOperation ?? null,
      ParentActivityId: r.parentActivityId ?? -1,
      PercentComplete: r.percentComplete ?? -1,
      Type: PSObject.enum(T_PROGRESS_TYPE, completed ? 'Completed' : 'Processing', completed ? 1 : 0),
      SecondsRemaining: r.secondsRemaining ?? -1,
    },
  });
}

/** ErrorCategory as an enum object (for builders that want the typed form). */
export function errorCategoryValue(category: number): PSObject {
  return PSObject.enum(T_ERROR_CATEGORY, ERROR_CATEGORY_NAMES[category] ?? String(category), category);
}

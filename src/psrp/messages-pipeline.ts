// Pipeline message bodies <-> clixml values: CREATE_PIPELINE with its
// PowerShell structure (2.2.3.11-13), GET_COMMAND_METADATA (sent to the pool,
// but answered like a pipeline), and the bodies that are a
// bare value (PIPELINE_INPUT/OUTPUT and the *_RECORD messages). PIPELINE_STATE shares RUNSPACEPOOL_STATE's codec (messages-reader.ts).

import * as X from './clixml-bridge.js';
import type { CommandSpec, CreatePipelineBody, MessageBodies, PipelineSpec, PSValue } from './message-types.js';
import { hostInfoFromValue, hostInfoToValue } from './messages-host.js';
import { APARTMENT_STATE, enumName, flagsName, T_APARTMENT_STATE, T_ENUM, type Reader } from './messages-reader.js';

type B = MessageBodies;

const T_REMOTE_STREAM_OPTIONS = ['System.Management.Automation.RemoteStreamOptions', ...T_ENUM];
const T_PIPELINE_RESULT_TYPES = ['System.Management.Automation.Runspaces.PipelineResultTypes', ...T_ENUM];
const T_COMMAND_TYPES = ['System.Management.Automation.CommandTypes', ...T_ENUM];
const T_PSOBJECT_LIST = [
  'System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]',
  'System.Object',
];
const T_STRING_ARRAY = ['System.String[]', 'System.Array', 'System.Object'];
const T_OBJECT_ARRAY = ['System.Object[]', 'System.Array', 'System.Object'];

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

// ---------------------------------------------------------------------------
// PowerShell structure: Pipeline, Command, Command Parameter (2.2.3.11-13)

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
// CREATE_PIPELINE (2.2.2.10)

export function createPipelineToValue(x: CreatePipelineBody): PSValue {
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

export function createPipelineFromValue(r: Reader): CreatePipelineBody {
  return {
    noInput: r.boolOr('NoInput', true),
    apartmentState: r.has('ApartmentState') ? r.int('ApartmentState') : 2,
    remoteStreamOptions: r.has('RemoteStreamOptions') ? r.int('RemoteStreamOptions') : 0,
    addToHistory: r.boolOr('AddToHistory', false),
    hostInfo: r.has('HostInfo') ? hostInfoFromValue(r, r.raw('HostInfo')) : { isHostNull: true, isHostUINull: true, isHostRawUINull: true, useRunspaceHost: true },
    pipeline: pipelineFromValue(r, r.raw('PowerShell')),
    isNested: r.boolOr('IsNested', false),
  };
}

// ---------------------------------------------------------------------------
// GET_COMMAND_METADATA (2.2.2.14)

export function getCommandMetadataToValue(x: B['GetCommandMetadata']): PSValue {
  const strs = (l: readonly string[] | null): PSValue => (l === null ? null : X.makeList(T_STRING_ARRAY, [...l]));
  return X.makeObject([
    ['Name', strs(x.name)],
    ['CommandType', X.makeEnum(T_COMMAND_TYPES, flagsName(COMMAND_TYPE_FLAGS, x.commandType, 'None'), x.commandType)],
    ['Namespace', strs(x.namespace)],
    ['ArgumentList', x.argumentList === null ? null : X.makeList(T_OBJECT_ARRAY, [...x.argumentList])],
  ]);
}

export function getCommandMetadataFromValue(r: Reader): B['GetCommandMetadata'] {
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


// Runspace pool and session message bodies <-> clixml values: the session
// handshake (SESSION_CAPABILITY, INIT_RUNSPACEPOOL, CONNECT_RUNSPACEPOOL,
// RUNSPACEPOOL_INIT_DATA), the key exchange, the pool calls (SET_MAX/MIN,
// GET_AVAILABLE_RUNSPACES, RESET_RUNSPACE_STATE and their RUNSPACE_AVAILABILITY
// answer), RUNSPACEPOOL_STATE, USER_EVENT and APPLICATION_PRIVATE_DATA.

import * as X from './clixml-bridge.js';
import type { MessageBodies, PSValue } from './message-types.js';
import { hostInfoFromValue, hostInfoToValue } from './messages-host.js';
import { APARTMENT_STATE, enumName, T_APARTMENT_STATE, T_ENUM, type Reader } from './messages-reader.js';

type B = MessageBodies;

const T_PS_THREAD_OPTIONS = ['System.Management.Automation.Runspaces.PSThreadOptions', ...T_ENUM];
const PS_THREAD_OPTIONS = ['Default', 'UseNewThread', 'ReuseThread', 'UseCurrentThread'];

// ---------------------------------------------------------------------------
// handshake (2.2.2.1, 2.2.2.2, 2.2.2.29, 2.2.2.30)

export function sessionCapabilityToValue(x: B['SessionCapability']): PSValue {
  const props: [string, PSValue][] = [
    ['protocolversion', X.makeVersion(x.protocolVersion)],
    ['PSVersion', X.makeVersion(x.psVersion)],
    ['SerializationVersion', X.makeVersion(x.serializationVersion)],
  ];
  if (x.timeZone !== undefined) props.push(['TimeZone', x.timeZone]);
  return X.makeObject(props);
}

export function sessionCapabilityFromValue(r: Reader): B['SessionCapability'] {
  const tz = r.opt('TimeZone');
  const tzBytes = tz === undefined || tz === null ? undefined : X.readBytes(tz);
  return {
    protocolVersion: r.version('protocolversion'),
    psVersion: r.version('PSVersion'),
    serializationVersion: r.version('SerializationVersion'),
    ...(tzBytes === undefined ? {} : { timeZone: tzBytes }),
  };
}

export function initRunspacePoolToValue(x: B['InitRunspacePool']): PSValue {
  return X.makeObject([
    ['MinRunspaces', x.minRunspaces],
    ['MaxRunspaces', x.maxRunspaces],
    ['PSThreadOptions', X.makeEnum(T_PS_THREAD_OPTIONS, enumName(PS_THREAD_OPTIONS, x.threadOptions), x.threadOptions)],
    ['ApartmentState', X.makeEnum(T_APARTMENT_STATE, enumName(APARTMENT_STATE, x.apartmentState), x.apartmentState)],
    ['HostInfo', hostInfoToValue(x.hostInfo)],
    ['ApplicationArguments', x.applicationArguments],
  ]);
}

export function initRunspacePoolFromValue(r: Reader): B['InitRunspacePool'] {
  return {
    minRunspaces: r.int('MinRunspaces'),
    maxRunspaces: r.int('MaxRunspaces'),
    threadOptions: r.has('PSThreadOptions') ? r.int('PSThreadOptions') : 0,
    apartmentState: r.has('ApartmentState') ? r.int('ApartmentState') : 2,
    hostInfo: hostInfoFromValue(r, r.raw('HostInfo')),
    applicationArguments: r.opt('ApplicationArguments') ?? null,
  };
}

export function connectRunspacePoolToValue(x: B['ConnectRunspacePool']): PSValue {
  // 2.2.2.29: an empty string means "the defaults"; pypsrp sends a bare <S />.
  if (x.minRunspaces === undefined && x.maxRunspaces === undefined) return '';
  const props: [string, PSValue][] = [];
  if (x.minRunspaces !== undefined) props.push(['MinRunspaces', x.minRunspaces]);
  if (x.maxRunspaces !== undefined) props.push(['MaxRunspaces', x.maxRunspaces]);
  return X.makeObject(props);
}

export function connectRunspacePoolFromValue(r: Reader, v: PSValue): B['ConnectRunspacePool'] {
  if (typeof v === 'string' || v === null) return {};
  return {
    ...(r.has('MinRunspaces') ? { minRunspaces: r.int('MinRunspaces') } : {}),
    ...(r.has('MaxRunspaces') ? { maxRunspaces: r.int('MaxRunspaces') } : {}),
  };
}

export function runspacePoolInitDataToValue(x: B['RunspacePoolInitData']): PSValue {
  return X.makeObject([['MinRunspaces', x.minRunspaces], ['MaxRunspaces', x.maxRunspaces]]);
}

export function runspacePoolInitDataFromValue(r: Reader): B['RunspacePoolInitData'] {
  return { minRunspaces: r.int('MinRunspaces'), maxRunspaces: r.int('MaxRunspaces') };
}

// ---------------------------------------------------------------------------
// key exchange (2.2.2.3-5)

export function publicKeyToValue(x: B['PublicKey']): PSValue {
  return X.makeObject([['PublicKey', x.publicKey]]);
}

export function publicKeyFromValue(r: Reader): B['PublicKey'] {
  return { publicKey: r.str('PublicKey').trim() };
}

export function encryptedSessionKeyToValue(x: B['EncryptedSessionKey']): PSValue {
  return X.makeObject([['EncryptedSessionKey', x.encryptedSessionKey]]);
}

export function encryptedSessionKeyFromValue(r: Reader): B['EncryptedSessionKey'] {
  return { encryptedSessionKey: r.str('EncryptedSessionKey').trim() };
}

// ---------------------------------------------------------------------------
// pool calls (2.2.2.6-8, 2.2.2.11, 2.2.2.31): each carries a call id "ci"

export function setMaxRunspacesToValue(x: B['SetMaxRunspaces']): PSValue {
  return X.makeObject([['MaxRunspaces', x.maxRunspaces], ['ci', X.makeInt64(x.ci)]]);
}

export function setMaxRunspacesFromValue(r: Reader): B['SetMaxRunspaces'] {
  return { ci: r.long('ci'), maxRunspaces: r.int('MaxRunspaces') };
}

export function setMinRunspacesToValue(x: B['SetMinRunspaces']): PSValue {
  return X.makeObject([['MinRunspaces', x.minRunspaces], ['ci', X.makeInt64(x.ci)]]);
}

export function setMinRunspacesFromValue(r: Reader): B['SetMinRunspaces'] {
  return { ci: r.long('ci'), minRunspaces: r.int('MinRunspaces') };
}

export function runspaceAvailabilityToValue(x: B['RunspaceAvailability']): PSValue {
  const resp = typeof x.response === 'bigint' ? X.makeInt64(x.response) : x.response;
  return X.makeObject([['SetMinMaxRunspacesResponse', resp], ['ci', X.makeInt64(x.ci)]]);
}

export function runspaceAvailabilityFromValue(r: Reader): B['RunspaceAvailability'] {
  const raw = r.raw('SetMinMaxRunspacesResponse');
  const bool = X.readBool(raw);
  const response = bool !== undefined ? bool : X.readInt64(raw);
  if (response === undefined) throw r.fail('SetMinMaxRunspacesResponse is neither a boolean nor an integer');
  return { ci: r.long('ci'), response };
}

/** GET_AVAILABLE_RUNSPACES and RESET_RUNSPACE_STATE carry only the call id. */
export function callIdToValue(x: { readonly ci: bigint }): PSValue {
  return X.makeObject([['ci', X.makeInt64(x.ci)]]);
}

export function callIdFromValue(r: Reader): { ci: bigint } {
  return { ci: r.long('ci') };
}

// ---------------------------------------------------------------------------
// USER_EVENT (2.2.2.12), APPLICATION_PRIVATE_DATA (2.2.2.13); RUNSPACEPOOL_STATE is read and written with PIPELINE_STATE (messages-reader.ts)

export function userEventToValue(x: B['UserEvent']): PSValue {
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

export function userEventFromValue(r: Reader): B['UserEvent'] {
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

export function applicationPrivateDataToValue(x: B['ApplicationPrivateData']): PSValue {
  return X.makeObject([['ApplicationPrivateData', x.data]]);
}

export function applicationPrivateDataFromValue(r: Reader): B['ApplicationPrivateData'] {
  return { data: r.opt('ApplicationPrivateData') ?? null };
}

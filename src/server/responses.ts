// Response envelopes shaped like Windows' own (as recorded in fixtures/upstream:
// same namespaces, prefixes, elements and fault codes), for the local endpoint.

import { escapeXmlAttr as attr, escapeXmlText as text } from '../util/xml.js';
import { NS } from '../wsman/namespaces.js';
import { envelope } from '../wsman/server-envelopes.js';

// The envelope builders live with the server shell core; the endpoint's code imports them from here.
export { envelope, faultEnvelope, commandResponseBody, receiveResponseBody, type FaultSpec, type OutStream } from '../wsman/server-envelopes.js';
import type { FaultSpec } from '../wsman/server-envelopes.js';
import { toDuration } from '../wsman/envelope.js';

export interface ShellDescription {
  readonly shellId: string;
  readonly resourceUri: string;
  readonly owner: string;
  readonly clientIP: string;
  readonly processId: number;
  readonly idleTimeoutMs: number;
  readonly maxIdleTimeoutMs: number;
  readonly inputStreams: string;
  readonly outputStreams: string;
  readonly state: string;
  readonly runTimeMs: number;
  readonly inactivityMs: number;
  readonly name?: string | undefined;
  /** WinRS shells echo what Create asked for. */
  readonly environment?: Readonly<Record<string, string>> | undefined;
  readonly workingDirectory?: string | undefined;
  /** Enumerate and Get report these; Create does not. */
  readonly memoryUsedMB?: number | undefined;
  readonly childProcesses?: number | undefined;
}

/** `rsp:Shell` with the elements Windows returns: fewer for cmd shells than for PowerShell shells. */
export function shellXml(s: ShellDescription, kind: 'powershell' | 'cmd'): string {
  const ps = kind === 'powershell';
  return (
    `<rsp:Shell xmlns:rsp="${NS.shell}"><rsp:ShellId>${text(s.shellId)}</rsp:ShellId>` +
    (s.name ? `<rsp:Name>${text(s.name)}</rsp:Name>` : '') +
    `<rsp:ResourceUri>${text(s.resourceUri)}</rsp:ResourceUri><rsp:Owner>${text(s.owner)}</rsp:Owner>` +
    `<rsp:ClientIP>${text(s.clientIP)}</rsp:ClientIP>` +
    (ps ? `<rsp:ProcessId>${s.processId}</rsp:ProcessId>` : '') +
    (s.environment && Object.keys(s.environment).length
      ? `<rsp:Environment>${Object.entries(s.environment)
          .map(([k, v]) => `<rsp:Variable Name="${attr(k)}">${text(v)}</rsp:Variable>`)
          .join('')}</rsp:Environment>`
      : '') +
    (s.workingDirectory ? `<rsp:WorkingDirectory>${text(s.workingDirectory)}</rsp:WorkingDirectory>` : '') +
    `<rsp:IdleTimeOut>${toDuration(s.idleTimeoutMs)}</rsp:IdleTimeOut><rsp:InputStreams>${text(s.inputStreams)}</rsp:InputStreams>` +
    `<rsp:OutputStreams>${text(s.outputStreams)}</rsp:OutputStreams>` +
    (ps
      ? `<rsp:MaxIdleTimeOut>${toDuration(s.maxIdleTimeoutMs)}</rsp:MaxIdleTimeOut>` +
        `<rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale><rsp:CompressionMode>NoCompression</rsp:CompressionMode>` +
        `<rsp:ProfileLoaded>Yes</rsp:ProfileLoaded><rsp:Encoding>UTF8</rsp:Encoding><rsp:BufferMode>Block</rsp:BufferMode>` +
        `<rsp:State>${s.state}</rsp:State>`
      : '') +
    `<rsp:ShellRunTime>${toDuration(s.runTimeMs)}</rsp:ShellRunTime>` +
    `<rsp:ShellInactivity>${toDuration(s.inactivityMs)}</rsp:ShellInactivity>` +
    (s.memoryUsedMB !== undefined ? `<rsp:MemoryUsed>${s.memoryUsedMB}MB</rsp:MemoryUsed>` : '') +
    (s.childProcesses !== undefined ? `<rsp:ChildProcesses>${s.childProcesses}</rsp:ChildProcesses>` : '') +
    `</rsp:Shell>`
  );
}

export function createResponseBody(endpointUrl: string, s: ShellDescription, kind: 'powershell' | 'cmd'): string {
  return (
    `<x:ResourceCreated><a:Address>${text(endpointUrl)}</a:Address><a:ReferenceParameters>` +
    `<w:ResourceURI>${text(s.resourceUri)}</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">${text(s.shellId)}</w:Selector></w:SelectorSet>` +
    `</a:ReferenceParameters></x:ResourceCreated>${shellXml(s, kind)}`
  );
}
/** Faults as Windows sends them (texts from the recordings). */
export const FAULTS = {
  timedOut: {
    code: 'Receiver',
    subcode: 'w:TimedOut',
    reason: 'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ',
    wsmanCode: 2150858793,
  },
  shellNotFound: {
    code: 'Sender',
    subcode: 'w:InvalidSelectors',
    reason: 'The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ',
    wsmanCode: 2150858843,
    detail: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors',
    message:
      'The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. ',
  },
  actionNotSupported: {
    code: 'Sender',
    subcode: 'a:ActionNotSupported',
    reason: 'The action is not supported by the service.',
    wsmanCode: 2150858754,
  },
  invalidParameter: {
    code: 'Sender',
    subcode: 'w:InvalidParameter',
    reason: 'The parameter is incorrect. ',
    wsmanCode: 87,
  },
  maxEnvelopeSize: {
    code: 'Sender',
    subcode: 'w:EncodingLimit',
    reason: 'The WS-Management service cannot process the request because the request exceeds the maximum envelope size. ',
    wsmanCode: 2150858824,
  },
} satisfies Record<string, FaultSpec>;

/**
 * Another user's shell (ERROR_ACCESS_DENIED, 5), as Windows answers a user who
 * addresses a shell they do not own. Modelled on Windows' message for code 5:
 * no recording has it.
 */
export const ACCESS_DENIED_FAULT: FaultSpec = {
  code: 'Sender',
  subcode: 'w:AccessDenied',
  reason: 'Access is denied. ',
  wsmanCode: 5,
};

/**
 * A Create or Command with a client-chosen ShellId or CommandId already in use:
 * DSP0226's wsman:AlreadyExists, with ERROR_ALREADY_EXISTS (183). Modelled on
 * the standard's fault (no recording has it); the existing shell is untouched.
 */
export function alreadyExistsFault(what: 'ShellId' | 'CommandId'): FaultSpec {
  return {
    code: 'Sender',
    subcode: 'w:AlreadyExists',
    reason: `The WS-Management service cannot create the resource because it already exists: the ${what} is in use. `,
    wsmanCode: 183,
  };
}

/**
 * Connect to a shell another client holds (ERROR_WSMAN_INUSE_CANNOT_RECONNECT,
 * 0x803381CD). Code from PowerShell's WSManNativeAPI.cs; the text is modelled
 * on Windows' message, since no recording has it.
 */
export const IN_USE_FAULT: FaultSpec = {
  code: 'Sender',
  subcode: 'w:InvalidParameter',
  reason: 'The WS-Management service cannot connect to the shell because it is in use by another client. Disconnect it there first, or wait until the server disconnects it. ',
  wsmanCode: 2150859213,
};

export function identifyResponse(): string {
  return (
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:wsmid="${NS.identity}"><s:Header/><s:Body><wsmid:IdentifyResponse>` +
    `<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>` +
    `<wsmid:ProductVendor>psremote</wsmid:ProductVendor><wsmid:ProductVersion>OS: 0.0.0 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>` +
    `<wsmid:SecurityProfiles><wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic</wsmid:SecurityProfileName></wsmid:SecurityProfiles>` +
    `</wsmid:IdentifyResponse></s:Body></s:Envelope>`
  );
}

/**
 * The QuotaLimit faults for too many shells of one user and too many commands
 * in one shell. Codes from Windows' WSMan error table (ERROR_WSMAN_QUOTA_MAX_SHELLS,
 * and 2150859174 which clients see when a shell has run too many commands);
 * texts modelled on Windows' messages: no recording has them.
 */
export function quotaFault(kind: 'shells' | 'operations', max: number): FaultSpec {
  return kind === 'shells'
    ? {
        code: 'Receiver',
        subcode: 'w:QuotaLimit',
        reason: `The WS-Management service cannot process the request. This user is allowed a maximum number of ${max} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. `,
        wsmanCode: 2150859180,
      }
    : {
        code: 'Receiver',
        subcode: 'w:QuotaLimit',
        reason: `The WS-Management service cannot process the request. This user is allowed a maximum number of ${max} concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. `,
        wsmanCode: 2150859174,
      };
}

/** What the endpoint reports of itself in its WSMan configuration (winrm get winrm/config). */
export interface ServiceConfigSettings {
  readonly maxEnvelopeSizeKb: number;
  readonly maxTimeoutMs: number;
  readonly allowUnencrypted: boolean;
  readonly auth: { readonly basic: boolean; readonly negotiate: boolean; readonly kerberos: boolean; readonly certificate: boolean; readonly credSSP: boolean; readonly cbtHardeningLevel: string };
  readonly maxConcurrentOperationsPerUser: number;
  readonly maxShellsPerUser: number;
  /** Winrs IdleTimeout, ms. */
  readonly idleTimeoutMs: number;
}

/**
 * WS-Transfer Get of `…/wsman/1/config`, in the shape of the recorded Windows
 * answers (pypsrp test_wsman_update_envelope_size_*.yml) with the endpoint's own
 * settings; Client and the listener details, which no client reads, are left out.
 */
export function configBody(c: ServiceConfigSettings): string {
  const cfg = 'http://schemas.microsoft.com/wbem/wsman/1/config';
  const e = (name: string, v: string | number | boolean) => `<cfg:${name}>${v}</cfg:${name}>`;
  const a = c.auth;
  return (
    `<cfg:Config xmlns:cfg="${cfg}">${e('MaxEnvelopeSizekb', c.maxEnvelopeSizeKb)}${e('MaxTimeoutms', c.maxTimeoutMs)}${e('MaxBatchItems', 32000)}${e('MaxProviderRequests', 4294967295)}` +
    `<cfg:Service>${e('MaxConcurrentOperations', 4294967295)}${e('MaxConcurrentOperationsPerUser', c.maxConcurrentOperationsPerUser)}${e('EnumerationTimeoutms', 240000)}${e('MaxConnections', 300)}` +
    `${e('MaxPacketRetrievalTimeSeconds', 120)}${e('AllowUnencrypted', c.allowUnencrypted)}` +
    `<cfg:Auth>${e('Basic', a.basic)}${e('Kerberos', a.kerberos)}${e('Negotiate', a.negotiate)}${e('Certificate', a.certificate)}${e('CredSSP', a.credSSP)}${e('CbtHardeningLevel', a.cbtHardeningLevel)}</cfg:Auth>` +
    `</cfg:Service><cfg:Winrs>${e('AllowRemoteShellAccess', true)}${e('IdleTimeout', c.idleTimeoutMs)}${e('MaxConcurrentUsers', 2147483647)}${e('MaxShellRunTime', 2147483647)}` +
    `${e('MaxProcessesPerShell', 2147483647)}${e('MaxMemoryPerShellMB', 2147483647)}${e('MaxShellsPerUser', c.maxShellsPerUser)}</cfg:Winrs></cfg:Config>`
  );
}

// SOAP faults from a WinRM server as typed errors (MS-WSMV 2.2.5, 3.1.4.1.x).
// Well-known WSManFault codes get a name (`kind`) so callers and higher layers
// can act on them: a Receive timeout renews the long-poll, ShellNotFound means
// the pool is gone, TooManyCommands asks for another shell.

import { PsRemoteError } from '../errors.js';
import { attribute, childElement, childElements, textContent, type XmlElement } from '../util/xml.js';
import { NS } from './namespaces.js';

export type FaultKind =
  | 'OperationTimeout'
  | 'ShellNotFound'
  | 'TooManyCommands'
  | 'InvalidSelectors'
  | 'SchemaValidation'
  | 'QuotaLimit'
  | 'MaxEnvelopeSizeExceeded'
  | 'AccessDenied'
  | 'AlreadyExists'
  | 'InvalidParameter'
  | 'InUseCannotReconnect'
  | 'CannotProcessFilter'
  | 'DestinationUnreachable'
  | 'InvalidMessageInformationHeader'
  | 'InternalError'
  | 'Unknown';

/** WSManFault codes (unsigned) with a name. */
export const WSMAN_FAULT_CODES: Readonly<Record<number, FaultKind>> = {
  2150858793: 'OperationTimeout', // 0x80338029 ERROR_WSMAN_OPERATION_TIMEDOUT
  2150858843: 'ShellNotFound', // 0x8033805B the shell or command id does not exist
  2150859174: 'TooManyCommands', // 0x803381A6
  2150858817: 'SchemaValidation', // 0x80338041
  2150858824: 'MaxEnvelopeSizeExceeded', // 0x80338048
  2150858778: 'CannotProcessFilter', // 0x8033801A
  2150859213: 'InUseCannotReconnect', // 0x803381CD (-2144108083)
  2150858767: 'InvalidMessageInformationHeader', // 0x8033800F
  2150859180: 'QuotaLimit', // 0x803381AC ERROR_WSMAN_QUOTA_MAX_SHELLS
  2150859181: 'QuotaLimit', // 0x803381AD ERROR_WSMAN_QUOTA_MAX_OPERATIONS
  2150859182: 'QuotaLimit', // 0x803381AE ERROR_WSMAN_QUOTA_MAX_SHELLUSERS
  2150859185: 'QuotaLimit', // 0x803381B1 ERROR_WSMAN_QUOTA_MAX_SHELLS_PPQ
  5: 'AccessDenied',
  87: 'InvalidParameter',
};

/** The WinRM quota a QuotaLimit code stands for (winrm/config/winrs, and a plugin's Quotas element). */
const QUOTA_NAMES: Readonly<Record<number, string>> = {
  2150859180: 'MaxShellsPerUser',
  2150859181: 'MaxConcurrentOperationsPerUser',
  2150859182: 'MaxConcurrentUsers',
  2150859185: 'MaxShellsPerUser',
  2150859174: 'MaxConcurrentCommandsPerShell',
};

/** The quota a QuotaLimit fault names: by its code, else by the words of MS-WSMV 3.1.4.5.2.1's messages. */
function quotaOf(kind: FaultKind, wsmanCode: number | undefined, text: string): string | undefined {
  const byCode = wsmanCode !== undefined ? QUOTA_NAMES[wsmanCode] : undefined;
  if (byCode) return byCode;
  if (kind !== 'QuotaLimit') return undefined;
  if (/concurrent shells/i.test(text)) return 'MaxShellsPerUser';
  if (/number of users/i.test(text)) return 'MaxConcurrentUsers';
  if (/concurrent operations/i.test(text)) return 'MaxConcurrentOperationsPerUser';
  return undefined;
}

const SUBCODE_KINDS: Readonly<Record<string, FaultKind>> = {
  TimedOut: 'OperationTimeout',
  InvalidSelectors: 'InvalidSelectors',
  SchemaValidationError: 'SchemaValidation',
  QuotaLimit: 'QuotaLimit',
  EncodingLimit: 'MaxEnvelopeSizeExceeded',
  AccessDenied: 'AccessDenied',
  AlreadyExists: 'AlreadyExists',
  CannotProcessFilter: 'CannotProcessFilter',
  DestinationUnreachable: 'DestinationUnreachable',
  InvalidMessageInformationHeader: 'InvalidMessageInformationHeader',
  InternalError: 'InternalError',
};

export interface WSManFault {
  /** SOAP Code value as written (`s:Sender`, `s:Receiver`). */
  readonly code: string;
  /** Subcode QName as written (`w:TimedOut`), or undefined. */
  readonly subcode: string | undefined;
  /** Subcode local name (`TimedOut`). */
  readonly subcodeName: string | undefined;
  readonly reason: string;
  /** `wsman:FaultDetail` URI, if any. */
  readonly detail: string | undefined;
  /** WSManFault Code as an unsigned number. */
  readonly wsmanCode: number | undefined;
  readonly machine: string | undefined;
  /** The most specific message: nested provider fault text, else f:Message, else the reason. */
  readonly message: string;
  readonly provider: string | undefined;
  readonly kind: FaultKind;
  /** For QuotaLimit (and TooManyCommands) faults: the quota exceeded, as WinRM's configuration names it. */
  readonly quota?: string | undefined;
}

/**
 * The fault's fields under WSManFault's names, but for the two an Error already
 * has: `code` (PSR_WSMAN_FAULT here) is soapCode, `message` is faultMessage.
 */
export interface WSManFaultError extends Omit<WSManFault, 'code' | 'message' | 'quota'> {}

export class WSManFaultError extends PsRemoteError implements WSManFault {
  readonly soapCode: string;
  readonly faultMessage: string;
  readonly quota: string | undefined;
  readonly operation: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(fault: WSManFault, context: { operation?: string; httpStatus?: number; host?: string } = {}) {
    const where = [context.operation, context.host && `on ${context.host}`].filter(Boolean).join(' ');
    const code = fault.wsmanCode !== undefined ? ` [${fault.wsmanCode}]` : '';
    const quota = fault.quota ? ` (${fault.quota})` : '';
    super('PSR_WSMAN_FAULT', `${where ? `${where}: ` : ''}${fault.kind === 'Unknown' ? 'WS-Management fault' : fault.kind}${quota}${code}: ${fault.message}`);
    const { code: soapCode, message: faultMessage, quota: quotaName, ...fields } = fault;
    Object.assign(this, fields);
    this.soapCode = soapCode;
    this.faultMessage = faultMessage;
    this.quota = quotaName;
    this.operation = context.operation;
    this.httpStatus = context.httpStatus;
  }

}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Reads `s:Fault` (the element itself). */
export function parseFault(fault: XmlElement): WSManFault {
  const codeEl = childElement(fault, NS.soap, 'Code');
  const code = codeEl ? clean(textContent(childElement(codeEl, NS.soap, 'Value') ?? codeEl)) : '';
  const subEl = codeEl && childElement(codeEl, NS.soap, 'Subcode');
  const subcode = subEl ? clean(textContent(childElement(subEl, NS.soap, 'Value') ?? subEl)) : undefined;
  const subcodeName = subcode?.slice(subcode.indexOf(':') + 1);
  const reasonEl = childElement(fault, NS.soap, 'Reason');
  const reason = reasonEl ? clean(textContent(reasonEl)) : '';
  const detailEl = childElement(fault, NS.soap, 'Detail');
  let detail: string | undefined;
  let wsmanCode: number | undefined;
  let machine: string | undefined;
  let message: string | undefined;
  let provider: string | undefined;
  if (detailEl) {
    const fd = childElement(detailEl, NS.wsman, 'FaultDetail');
    if (fd) detail = clean(textContent(fd));
    const wf = childElement(detailEl, NS.wsmanFault, 'WSManFault');
    if (wf) {
      const c = attribute(wf, 'Code');
      if (c !== undefined && /^-?\d+$/.test(c.trim())) wsmanCode = Number(BigInt.asUintN(32, BigInt(c.trim())));
      machine = attribute(wf, 'Machine') || undefined;
      const msgEl = childElement(wf, NS.wsmanFault, 'Message');
      if (msgEl) {
        const pf = childElement(msgEl, NS.wsmanFault, 'ProviderFault');
        if (pf) {
          provider = attribute(pf, 'provider')?.trim();
          const inner = childElements(pf, NS.wsmanFault, 'WSManFault')[0];
          const innerMsg = inner && childElement(inner, NS.wsmanFault, 'Message');
          message = clean(textContent(innerMsg ?? pf));
          if (!message) message = undefined;
        } else {
          message = clean(textContent(msgEl)) || undefined;
        }
      }
    }
  }
  const kind: FaultKind =
    (wsmanCode !== undefined ? WSMAN_FAULT_CODES[wsmanCode] : undefined) ??
    (subcodeName !== undefined ? SUBCODE_KINDS[subcodeName] : undefined) ??
    'Unknown';
  const quota = quotaOf(kind, wsmanCode, message ?? reason);
  return { code, subcode, subcodeName, reason, detail, wsmanCode, machine, message: message ?? reason, provider, kind, ...(quota ? { quota } : {}) };
}

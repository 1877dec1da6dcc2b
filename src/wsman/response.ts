// Response envelopes parsed by namespace URI into typed results. A fault body
// becomes a WSManFaultError, except a timed-out Receive, which is a normal
// event for the layer above (it renews the long-poll).

import { RemoteProtocolError } from '../errors.js';
import { attribute, childElement, childElements, parseXml, textContent, type XmlElement } from '../util/xml.js';
import { WSManFaultError, parseFault, type WSManFault } from './fault.js';
import { COMMAND_STATE_PREFIX, NS } from './namespaces.js';
import { parseDuration } from './envelope.js';
import { decodeBase64Checked } from '../util/base64.js';

/** Default cap on a response body we agree to parse (MaxEnvelopeSize is far smaller in practice). */
export const MAX_RESPONSE_CHARS = 64 * 1024 * 1024;

export interface ParsedEnvelope {
  readonly root: XmlElement;
  readonly header: XmlElement | undefined;
  readonly body: XmlElement;
  readonly action: string | undefined;
  readonly messageId: string | undefined;
  readonly relatesTo: string | undefined;
  /** The fault, when the body is `s:Fault`. */
  readonly fault: WSManFault | undefined;
}

export interface ParseContext {
  /** Operation the response answers, for error messages. */
  readonly operation?: string;
  readonly host?: string;
  readonly httpStatus?: number;
  readonly maxChars?: number;
}

function invalid(message: string, ctx: ParseContext, cause?: unknown): RemoteProtocolError {
  const where = [ctx.operation && `${ctx.operation} response`, ctx.host && `from ${ctx.host}`].filter(Boolean).join(' ');
  return new RemoteProtocolError('PSR_WSMAN_INVALID', message, {
    ...(where ? { where } : {}),
    ...(cause === undefined ? {} : { cause }),
  });
}

const stripUuid = (s: string | undefined) => (s === undefined ? undefined : s.trim().replace(/^uuid:/i, ''));

/** Parses any SOAP envelope (request or response). Throws PSR_WSMAN_INVALID for non-SOAP input. */
export function parseEnvelope(input: string | Uint8Array, ctx: ParseContext = {}): ParsedEnvelope {
  let root: XmlElement;
  try {
    root = parseXml(input, { maxLength: ctx.maxChars ?? MAX_RESPONSE_CHARS, where: ctx.operation ? `${ctx.operation} response` : 'envelope' });
  } catch (e) {
    const head = typeof input === 'string' ? input.slice(0, 60) : Buffer.from(input.subarray(0, 60)).toString('utf8');
    throw invalid(`response is not XML (${(e as Error).message}); it starts with ${JSON.stringify(head)}`, ctx, e);
  }
  if (root.ns !== NS.soap || root.local !== 'Envelope') {
    throw invalid(`response root is {${root.ns}}${root.local}, not a SOAP 1.2 Envelope`, ctx);
  }
  const header = childElement(root, NS.soap, 'Header');
  const body = childElement(root, NS.soap, 'Body');
  if (!body) throw invalid('SOAP envelope has no Body', ctx);
  const h = (ns: string, local: string) => {
    const el = header && childElement(header, ns, local);
    return el ? textContent(el).trim() : undefined;
  };
  const faultEl = childElement(body, NS.soap, 'Fault');
  return {
    root,
    header,
    body,
    action: h(NS.addressing, 'Action'),
    messageId: stripUuid(h(NS.addressing, 'MessageID')),
    relatesTo: stripUuid(h(NS.addressing, 'RelatesTo')),
    fault: faultEl ? parseFault(faultEl) : undefined,
  };
}

/** Raises a typed error when the response does not answer the request we sent. */
export function checkRelatesTo(env: ParsedEnvelope, sentMessageId: string, ctx: ParseContext = {}): void {
  if (env.relatesTo === undefined) return; // Identify responses carry none
  if (env.relatesTo.toUpperCase() !== sentMessageId.replace(/^uuid:/i, '').toUpperCase()) {
    throw invalid(`RelatesTo ${env.relatesTo} does not match the MessageID sent (${sentMessageId})`, ctx);
  }
}

/** Parses a response and throws its fault, if any, as WSManFaultError. */
export function parseResponse(input: string | Uint8Array, ctx: ParseContext = {}): ParsedEnvelope {
  const env = parseEnvelope(input, ctx);
  if (env.fault) {
    throw new WSManFaultError(env.fault, {
      ...(ctx.operation ? { operation: ctx.operation } : {}),
      ...(ctx.httpStatus ? { httpStatus: ctx.httpStatus } : {}),
      ...(ctx.host ? { host: ctx.host } : {}),
    });
  }
  return env;
}

function need(el: XmlElement | undefined, what: string, ctx: ParseContext): XmlElement {
  if (!el) throw invalid(`missing ${what}`, ctx);
  return el;
}

const childText = (el: XmlElement | undefined, ns: string, local: string) => {
  const c = el && childElement(el, ns, local);
  return c ? textContent(c).trim() : undefined;
};

export interface ShellInfo {
  readonly shellId: string;
  readonly name?: string | undefined;
  readonly resourceUri?: string | undefined;
  readonly owner?: string | undefined;
  readonly clientIP?: string | undefined;
  readonly processId?: number | undefined;
  readonly state?: string | undefined;
  readonly idleTimeoutMs?: number | undefined;
  readonly maxIdleTimeoutMs?: number | undefined;
  readonly shellRunTimeMs?: number | undefined;
  readonly shellInactivityMs?: number | undefined;
  readonly bufferMode?: string | undefined;
  readonly locale?: string | undefined;
  readonly dataLocale?: string | undefined;
  readonly compressionMode?: string | undefined;
  readonly profileLoaded?: string | undefined;
  readonly inputStreams?: string | undefined;
  readonly outputStreams?: string | undefined;
}

function dur(s: string | undefined): number | undefined {
  return s === undefined ? undefined : parseDuration(s);
}

/** `rsp:Shell` as returned by Create, Get and shell enumeration. */
export function parseShellElement(shell: XmlElement, fallbackId?: string): ShellInfo {
  const t = (local: string) => childText(shell, NS.shell, local);
  const pid = t('ProcessId');
  return {
    shellId: t('ShellId') ?? attribute(shell, 'ShellId') ?? fallbackId ?? '',
    name: t('Name') ?? attribute(shell, 'Name'),
    resourceUri: t('ResourceUri'),
    owner: t('Owner'),
    clientIP: t('ClientIP'),
    processId: pid !== undefined && /^\d+$/.test(pid) ? Number(pid) : undefined,
    state: t('State'),
    idleTimeoutMs: dur(t('IdleTimeOut')),
    maxIdleTimeoutMs: dur(t('MaxIdleTimeOut')),
    shellRunTimeMs: dur(t('ShellRunTime')),
    shellInactivityMs: dur(t('ShellInactivity')),
    bufferMode: t('BufferMode'),
    locale: t('Locale'),
    dataLocale: t('DataLocale'),
    compressionMode: t('CompressionMode'),
    profileLoaded: t('ProfileLoaded'),
    inputStreams: t('InputStreams'),
    outputStreams: t('OutputStreams'),
  };
}

export function parseCreateResponse(env: ParsedEnvelope, ctx: ParseContext = { operation: 'Create' }): ShellInfo {
  const created = childElement(env.body, NS.transfer, 'ResourceCreated');
  let selectorId: string | undefined;
  if (created) {
    const refs = childElement(created, NS.addressing, 'ReferenceParameters');
    const set = refs && childElement(refs, NS.wsman, 'SelectorSet');
    for (const sel of set ? childElements(set, NS.wsman, 'Selector') : []) {
      if (attribute(sel, 'Name') === 'ShellId') selectorId = textContent(sel).trim();
    }
  }
  const shell = childElement(env.body, NS.shell, 'Shell');
  if (shell) return parseShellElement(shell, selectorId);
  if (selectorId) return { shellId: selectorId };
  throw invalid('CreateResponse has neither rsp:Shell nor a ShellId selector', ctx);
}

export function parseCommandResponse(env: ParsedEnvelope, ctx: ParseContext = { operation: 'Command' }): string {
  const r = need(childElement(env.body, NS.shell, 'CommandResponse'), 'rsp:CommandResponse', ctx);
  return need(childElement(r, NS.shell, 'CommandId'), 'rsp:CommandId', ctx) && childText(r, NS.shell, 'CommandId')!;
}

export interface ReceivedStream {
  readonly name: string;
  readonly commandId: string | undefined;
  readonly end: boolean;
  readonly data: Buffer;
}

export interface CommandState {
  readonly commandId: string | undefined;
  /** Last segment of the state URI: `Done`, `Running`, `Pending`. */
  readonly state: string;
  readonly exitCode: number | undefined;
}

export type ReceiveResult =
  | { readonly type: 'timeout' }
  | { readonly type: 'data'; readonly streams: readonly ReceivedStream[]; readonly commandState: CommandState | undefined; readonly sequenceId?: string | undefined };


export function decodeBase64Strict(s: string, what: string, ctx: ParseContext): Buffer {
  const t = /\s/.test(s) ? s.replace(/\s+/g, '') : s;
  const b = decodeBase64Checked(t);
  if (!b) throw invalid(`${what} is not valid base64`, ctx);
  return b;
}

/** ReceiveResponse, or `{ type: 'timeout' }` for a Receive that timed out (not an error). */
export function parseReceiveResponse(input: string | Uint8Array | ParsedEnvelope, ctx: ParseContext = { operation: 'Receive' }): ReceiveResult {
  const env = typeof input === 'object' && 'body' in input ? input : parseEnvelope(input, ctx);
  if (env.fault) {
    if (env.fault.kind === 'OperationTimeout') return { type: 'timeout' };
    throw new WSManFaultError(env.fault, { operation: ctx.operation ?? 'Receive', ...(ctx.httpStatus ? { httpStatus: ctx.httpStatus } : {}), ...(ctx.host ? { host: ctx.host } : {}) });
  }
  const r = need(childElement(env.body, NS.shell, 'ReceiveResponse'), 'rsp:ReceiveResponse', ctx);
  const streams: ReceivedStream[] = [];
  for (const s of childElements(r, NS.shell, 'Stream')) {
    const name = attribute(s, 'Name');
    if (!name) throw invalid('rsp:Stream without Name', ctx);
    const end = attribute(s, 'End');
    streams.push({
      name,
      commandId: attribute(s, 'CommandId'),
      end: end === 'true' || end === 'True',
      data: decodeBase64Strict(textContent(s), `rsp:Stream ${name}`, ctx),
    });
  }
  const cs = childElement(r, NS.shell, 'CommandState');
  let commandState: CommandState | undefined;
  if (cs) {
    const stateUri = attribute(cs, 'State') ?? '';
    const exit = childText(cs, NS.shell, 'ExitCode');
    if (exit !== undefined && !/^-?\d+$/.test(exit)) throw invalid(`rsp:ExitCode "${exit}" is not an integer`, ctx);
    commandState = {
      commandId: attribute(cs, 'CommandId'),
      state: stateUri.startsWith(COMMAND_STATE_PREFIX) ? stateUri.slice(COMMAND_STATE_PREFIX.length) : stateUri.slice(stateUri.lastIndexOf('/') + 1),
      exitCode: exit === undefined ? undefined : Number(exit),
    };
  }
  return { type: 'data', streams, commandState, sequenceId: attribute(r, 'SequenceID') };
}

/** ConnectResponse: the pool connect carries connectResponseXml (SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA). */
export function parseConnectResponse(env: ParsedEnvelope, ctx: ParseContext = { operation: 'Connect' }): Buffer | undefined {
  const r = need(childElement(env.body, NS.shell, 'ConnectResponse'), 'rsp:ConnectResponse', ctx);
  const x = childElement(r, NS.powershell, 'connectResponseXml');
  return x ? decodeBase64Strict(textContent(x), 'connectResponseXml', ctx) : undefined;
}

export interface EnumerationResult {
  readonly context: string | undefined;
  readonly endOfSequence: boolean;
  readonly items: readonly XmlElement[];
}

/** EnumerateResponse or PullResponse: items from `wsman:Items` or `wsen:Items`. */
export function parseEnumeration(env: ParsedEnvelope, ctx: ParseContext = { operation: 'Enumerate' }): EnumerationResult {
  const r = childElement(env.body, NS.enumeration, 'EnumerateResponse') ?? childElement(env.body, NS.enumeration, 'PullResponse');
  if (!r) throw invalid('missing wsen:EnumerateResponse or wsen:PullResponse', ctx);
  const items = childElement(r, NS.wsman, 'Items') ?? childElement(r, NS.enumeration, 'Items');
  const eos = childElement(r, NS.wsman, 'EndOfSequence') ?? childElement(r, NS.enumeration, 'EndOfSequence');
  return {
    context: childText(r, NS.enumeration, 'EnumerationContext') || undefined,
    endOfSequence: eos !== undefined,
    items: items ? childElements(items) : [],
  };
}

export interface IdentifyResult {
  readonly protocolVersion: string | undefined;
  readonly productVendor: string | undefined;
  readonly productVersion: string | undefined;
  readonly securityProfiles: readonly string[];
}

export function parseIdentifyResponse(env: ParsedEnvelope, ctx: ParseContext = { operation: 'Identify' }): IdentifyResult {
  const r = need(childElement(env.body, NS.identity, 'IdentifyResponse'), 'wsmid:IdentifyResponse', ctx);
  const profiles = childElement(r, NS.identity, 'SecurityProfiles');
  return {
    protocolVersion: childText(r, NS.identity, 'ProtocolVersion'),
    productVendor: childText(r, NS.identity, 'ProductVendor'),
    productVersion: childText(r, NS.identity, 'ProductVersion'),
    securityProfiles: profiles ? childElements(profiles, NS.identity, 'SecurityProfileName').map((e) => textContent(e).trim()) : [],
  };
}

/** `MaxEnvelopeSizekb` from a Get of `…/wsman/1/config` (needs admin rights on the server). */
export function parseMaxEnvelopeSizeKb(env: ParsedEnvelope): number | undefined {
  const cfg = childElement(env.body, NS.config, 'Config');
  const v = cfg && childText(cfg, NS.config, 'MaxEnvelopeSizekb');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

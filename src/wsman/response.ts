// Response envelopes parsed by namespace URI into typed results. A fault body
// becomes a WSManFaultError, except a timed-out Receive, which is a normal
// event for the layer above (it renews the long-poll).

import { attribute, childElement, childElements, textContent, type XmlElement } from '../util/xml.js';
import { NS } from './namespaces.js';
import { parseDuration } from './envelope.js';
import { decodeBase64Strict, faultError, invalidEnvelope, parseEnvelope, readEnvelope, streamBytes, type ParseContext, type ParsedEnvelope, type WSManMessage } from './reader.js';

// The envelope itself is read in reader.ts; these names stay here for the code that imports them from this file.
export { MAX_RESPONSE_CHARS, parseEnvelope, checkRelatesTo, decodeBase64Strict, type ParsedEnvelope, type ParseContext } from './reader.js';

/** Parses a response and throws its fault, if any, as WSManFaultError. */
export function parseResponse(input: string | Uint8Array, ctx: ParseContext = {}): ParsedEnvelope {
  const env = parseEnvelope(input, ctx);
  if (env.fault) throw faultError(env.fault, ctx);
  return env;
}

function need(el: XmlElement | undefined, what: string, ctx: ParseContext): XmlElement {
  if (!el) throw invalidEnvelope(`missing ${what}`, ctx);
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
  throw invalidEnvelope('CreateResponse has neither rsp:Shell nor a ShellId selector', ctx);
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



/** ReceiveResponse, or `{ type: 'timeout' }` for a Receive that timed out (not an error). A facade on readEnvelope. */
export function parseReceiveResponse(input: string | Uint8Array | ParsedEnvelope, ctx: ParseContext = { operation: 'Receive' }): ReceiveResult {
  const env = typeof input === 'object' && 'body' in input ? input : parseEnvelope(input, ctx);
  if (env.fault) {
    if (env.fault.kind === 'OperationTimeout') return { type: 'timeout' };
    throw faultError(env.fault, { ...ctx, operation: ctx.operation ?? 'Receive' });
  }
  need(childElement(env.body, NS.shell, 'ReceiveResponse'), 'rsp:ReceiveResponse', ctx);
  return receiveResultOf(readEnvelope(env, ctx), ctx);
}

/** The Receive result of an envelope already read. */
export function receiveResultOf(m: WSManMessage, ctx: ParseContext = { operation: 'Receive' }): ReceiveResult & { type: 'data' } {
  const streams = m.streams.map((s) => ({ name: s.name, commandId: s.commandId, end: s.end, data: streamBytes(s, ctx) }));
  return { type: 'data', streams, commandState: m.commandState, sequenceId: m.sequenceId };
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
  if (!r) throw invalidEnvelope('missing wsen:EnumerateResponse or wsen:PullResponse', ctx);
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

// Request envelopes for every WS-Management operation psremote sends
// (MS-WSMV 2.2.4 headers, 3.1.4 operations). Pure string building: ids, the
// session id and timeouts come from the caller. Prefixes follow what Windows
// clients send (s, wsa, wsman, wsmv, rsp) though servers match by URI.

import { UsageError } from '../errors.js';
import { textWithBase64 } from '../util/base64.js';
import { escapeXmlAttr as attr, escapeXmlText as text } from '../util/xml.js';
import { ACTION, ANONYMOUS, FILTER_DIALECT, NS, RESOURCE } from './namespaces.js';

export interface Selector {
  readonly name: string;
  readonly value: string;
}

export interface WSManOption {
  readonly name: string;
  readonly value: string;
  readonly mustComply?: boolean;
  readonly type?: string;
}

export interface EnvelopeHeaders {
  /** Action URI; omitted for Identify. */
  readonly action?: string;
  /** Endpoint URL (`wsa:To`). */
  readonly to: string;
  readonly resourceUri?: string;
  /** GUID without `uuid:` prefix. */
  readonly messageId: string;
  /** One GUID per client for every message, so the server can tell Reconnect from Connect. */
  readonly sessionId?: string;
  readonly selectors?: readonly Selector[];
  readonly options?: readonly WSManOption[];
  readonly operationTimeoutMs?: number;
  readonly maxEnvelopeSize?: number;
  readonly locale?: string;
  readonly dataLocale?: string;
}

const ENVELOPE_OPEN =
  `<s:Envelope xmlns:s="${NS.soap}" xmlns:wsa="${NS.addressing}" xmlns:wsman="${NS.wsman}" ` +
  `xmlns:wsmv="${NS.wsmv}" xmlns:rsp="${NS.shell}" xmlns:wsen="${NS.enumeration}" xmlns:wst="${NS.transfer}">`;

/** xs:duration from milliseconds: `PT20S`, `PT0.5S`. */
export function toDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new UsageError(`invalid duration: ${ms} ms`);
  const s = ms / 1000;
  return `PT${Number.isInteger(s) ? s : s.toFixed(3)}S`;
}

/** Milliseconds from an xs:duration (`PT7200.000S`, `P1DT2H`, `PT1M30S`); undefined if unparseable. */
export function parseDuration(d: string): number | undefined {
  const m = /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
    d.trim(),
  );
  if (!m || d.trim() === 'P' || d.trim().endsWith('T')) return undefined;
  const n = (i: number) => (m[i] ? Number(m[i]) : 0);
  const ms = ((((n(2) * 365 + n(3) * 30 + n(4)) * 24 + n(5)) * 60 + n(6)) * 60 + n(7)) * 1000;
  return m[1] ? -ms : ms;
}

function selectorSet(selectors: readonly Selector[]): string {
  let s = '<wsman:SelectorSet>';
  for (const sel of selectors) s += `<wsman:Selector Name="${attr(sel.name)}">${text(sel.value)}</wsman:Selector>`;
  return `${s}</wsman:SelectorSet>`;
}

function optionSet(options: readonly WSManOption[]): string {
  let s = '<wsman:OptionSet s:mustUnderstand="true">';
  for (const o of options) {
    s += `<wsman:Option Name="${attr(o.name)}"${o.mustComply ? ' MustComply="true"' : ''}${o.type ? ` Type="${attr(o.type)}"` : ''}>${text(o.value)}</wsman:Option>`;
  }
  return `${s}</wsman:OptionSet>`;
}

/** What follows the body in every envelope buildEnvelope makes. */
const ENVELOPE_TAIL = '</s:Body></s:Envelope>';

/** A complete request envelope. `body` is inner XML of `s:Body` (already escaped). */
export function buildEnvelope(h: EnvelopeHeaders, body = ''): string {
  const locale = h.locale ?? 'en-US';
  let s = ENVELOPE_OPEN + '<s:Header>';
  if (h.action !== undefined) s += `<wsa:Action s:mustUnderstand="true">${text(h.action)}</wsa:Action>`;
  s += `<wsmv:DataLocale s:mustUnderstand="false" xml:lang="${attr(h.dataLocale ?? locale)}"/>`;
  s += `<wsman:Locale s:mustUnderstand="false" xml:lang="${attr(locale)}"/>`;
  if (h.maxEnvelopeSize !== undefined) s += `<wsman:MaxEnvelopeSize s:mustUnderstand="true">${h.maxEnvelopeSize}</wsman:MaxEnvelopeSize>`;
  s += `<wsa:MessageID>uuid:${text(h.messageId.toUpperCase())}</wsa:MessageID>`;
  if (h.operationTimeoutMs !== undefined) s += `<wsman:OperationTimeout>${toDuration(h.operationTimeoutMs)}</wsman:OperationTimeout>`;
  s += `<wsa:ReplyTo><wsa:Address s:mustUnderstand="true">${ANONYMOUS}</wsa:Address></wsa:ReplyTo>`;
  if (h.resourceUri !== undefined) s += `<wsman:ResourceURI s:mustUnderstand="true">${text(h.resourceUri)}</wsman:ResourceURI>`;
  if (h.sessionId !== undefined) s += `<wsmv:SessionId s:mustUnderstand="false">uuid:${text(h.sessionId.toUpperCase())}</wsmv:SessionId>`;
  s += `<wsa:To>${text(h.to)}</wsa:To>`;
  if (h.options && h.options.length > 0) s += optionSet(h.options);
  if (h.selectors && h.selectors.length > 0) s += selectorSet(h.selectors);
  return `${s}</s:Header><s:Body>${body}${ENVELOPE_TAIL}`;
}

/** Identify has its own tiny envelope with no addressing headers (MS-WSMV 3.1.4.16). */
export function buildIdentify(): string {
  return `<s:Envelope xmlns:s="${NS.soap}" xmlns:wsmid="${NS.identity}"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`;
}

const b64 = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');

export interface ShellBody {
  /** Client-chosen ShellId (PowerShell: the runspace pool id, upper case). */
  readonly shellId?: string;
  readonly name?: string;
  readonly workingDirectory?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly lifetimeMs?: number;
  readonly idleTimeoutMs?: number;
  readonly inputStreams?: string;
  readonly outputStreams?: string;
  /** PowerShell: SESSION_CAPABILITY + INIT_RUNSPACEPOOL fragments. */
  readonly creationXml?: Uint8Array;
}

export function shellBody(b: ShellBody): string {
  let s = `<rsp:Shell${b.shellId ? ` ShellId="${attr(b.shellId)}"` : ''}${b.name ? ` Name="${attr(b.name)}"` : ''}>`;
  // Schema order (MS-WSMV 2.2.4.37): Environment, WorkingDirectory, Lifetime, IdleTimeOut, streams.
  if (b.environment && Object.keys(b.environment).length > 0) {
    s += '<rsp:Environment>';
    for (const [k, v] of Object.entries(b.environment)) s += `<rsp:Variable Name="${attr(k)}">${text(v)}</rsp:Variable>`;
    s += '</rsp:Environment>';
  }
  if (b.workingDirectory !== undefined) s += `<rsp:WorkingDirectory>${text(b.workingDirectory)}</rsp:WorkingDirectory>`;
  if (b.lifetimeMs !== undefined) s += `<rsp:Lifetime>${toDuration(b.lifetimeMs)}</rsp:Lifetime>`;
  if (b.idleTimeoutMs !== undefined) s += `<rsp:IdleTimeOut>${toDuration(b.idleTimeoutMs)}</rsp:IdleTimeOut>`;
  s += `<rsp:InputStreams>${text(b.inputStreams ?? 'stdin')}</rsp:InputStreams>`;
  s += `<rsp:OutputStreams>${text(b.outputStreams ?? 'stdout stderr')}</rsp:OutputStreams>`;
  if (b.creationXml) s += `<creationXml xmlns="${NS.powershell}">${b64(b.creationXml)}</creationXml>`;
  return `${s}</rsp:Shell>`;
}

export interface CommandLineBody {
  readonly commandId?: string;
  /** WinRS: the command; PowerShell: empty. */
  readonly command?: string;
  /** WinRS: arguments; PowerShell: one base64 argument with CREATE_PIPELINE fragments. */
  readonly args?: readonly string[];
  readonly argumentsData?: Uint8Array;
}

export function commandLineBody(b: CommandLineBody): string {
  let s = `<rsp:CommandLine${b.commandId ? ` CommandId="${attr(b.commandId)}"` : ''}>`;
  s += b.command !== undefined && b.command !== '' ? `<rsp:Command>${text(b.command)}</rsp:Command>` : '<rsp:Command/>';
  for (const a of b.args ?? []) s += `<rsp:Arguments>${text(a)}</rsp:Arguments>`;
  if (b.argumentsData) s += `<rsp:Arguments>${b64(b.argumentsData)}</rsp:Arguments>`;
  return `${s}</rsp:CommandLine>`;
}

export interface StreamData {
  readonly name: string;
  readonly commandId?: string;
  readonly data: Uint8Array;
  readonly end?: boolean;
}

export function sendBody(streams: readonly StreamData[]): string {
  return sendBodyParts(streams)
    .map((p) => (typeof p === 'string' ? p : b64(p)))
    .join('');
}

/** sendBody as markup and the streams' bytes, for sendEnvelopeBytes. */
function sendBodyParts(streams: readonly StreamData[]): (string | Uint8Array)[] {
  const parts: (string | Uint8Array)[] = ['<rsp:Send>'];
  for (const st of streams) {
    parts.push(`<rsp:Stream Name="${attr(st.name)}"${st.commandId ? ` CommandId="${attr(st.commandId)}"` : ''}${st.end ? ' End="true"' : ''}>`, st.data, '</rsp:Stream>');
  }
  parts.push('</rsp:Send>');
  return parts;
}

/**
 * `sequenceId` numbers the Receives of one command (or of the shell's own
 * stream), as MS-WSMV's Receive example does (`<rsp:Receive SequenceId="0">`):
 * a Receive sent again after a network failure keeps its number, so a server
 * that kept its last answer can send it again instead of losing it.
 */
export function receiveBody(desiredStreams: string, commandId?: string, sequenceId?: number): string {
  return `<rsp:Receive${sequenceId !== undefined ? ` SequenceId="${sequenceId}"` : ''}><rsp:DesiredStream${commandId ? ` CommandId="${attr(commandId)}"` : ''}>${text(desiredStreams)}</rsp:DesiredStream></rsp:Receive>`;
}

export function signalBody(code: string, commandId?: string): string {
  return `<rsp:Signal${commandId ? ` CommandId="${attr(commandId)}"` : ''}><rsp:Code>${text(code)}</rsp:Code></rsp:Signal>`;
}

export type BufferMode = 'Block' | 'Drop';

export function disconnectBody(o: { bufferMode?: BufferMode; idleTimeoutMs?: number } = {}): string {
  let s = '<rsp:Disconnect>';
  if (o.bufferMode) s += `<rsp:BufferMode>${o.bufferMode}</rsp:BufferMode>`;
  if (o.idleTimeoutMs !== undefined) s += `<rsp:IdleTimeOut>${toDuration(o.idleTimeoutMs)}</rsp:IdleTimeOut>`;
  return `${s}</rsp:Disconnect>`;
}

/** A shell Reconnect has an empty body (MS-WSMV 4.7.10; pypsrp's recorded request too); a command's names it. */
export function reconnectBody(commandId?: string): string {
  return commandId ? `<rsp:Reconnect CommandId="${attr(commandId)}"/>` : '';
}

/** Pool connect carries connectXml (SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL); a command connect only its id. */
export function connectBody(o: { connectXml?: Uint8Array; commandId?: string }): string {
  if (o.commandId) return `<rsp:Connect CommandId="${attr(o.commandId)}"/>`;
  return `<rsp:Connect>${o.connectXml ? `<connectXml xmlns="${NS.powershell}">${b64(o.connectXml)}</connectXml>` : ''}</rsp:Connect>`;
}

export interface EnumerateOptions {
  readonly optimize?: boolean;
  readonly maxElements?: number;
  readonly wql?: string;
  readonly selectorFilter?: readonly Selector[];
}

export function enumerateBody(o: EnumerateOptions = {}): string {
  let s = '<wsen:Enumerate>';
  if (o.optimize ?? true) s += '<wsman:OptimizeEnumeration/>';
  if (o.maxElements !== undefined) s += `<wsman:MaxElements>${o.maxElements}</wsman:MaxElements>`;
  if (o.wql !== undefined) s += `<wsman:Filter Dialect="${FILTER_DIALECT.wql}">${text(o.wql)}</wsman:Filter>`;
  else if (o.selectorFilter) s += `<wsman:Filter Dialect="${FILTER_DIALECT.selector}">${selectorSet(o.selectorFilter)}</wsman:Filter>`;
  return `${s}</wsen:Enumerate>`;
}

export function pullBody(context: string, maxElements?: number): string {
  return `<wsen:Pull><wsen:EnumerationContext>${text(context)}</wsen:EnumerationContext>${maxElements !== undefined ? `<wsen:MaxElements>${maxElements}</wsen:MaxElements>` : ''}</wsen:Pull>`;
}

/** Common request parameters for the shell operations. */
export interface ShellRequest {
  readonly to: string;
  readonly resourceUri: string;
  readonly messageId: string;
  readonly sessionId?: string;
  readonly operationTimeoutMs?: number;
  readonly maxEnvelopeSize?: number;
  readonly locale?: string;
  readonly dataLocale?: string;
}

function headers(r: ShellRequest, action: string, extra: Partial<EnvelopeHeaders> = {}): EnvelopeHeaders {
  return { ...r, action, ...extra };
}

const shellSel = (shellId: string): Selector[] => [{ name: 'ShellId', value: shellId }];

/** Builders for each shell operation: request envelope from the request and operation specifics. */
export const build = {
  create(r: ShellRequest, body: ShellBody, options: readonly WSManOption[] = []): string {
    return buildEnvelope(headers(r, ACTION.Create, { options }), shellBody(body));
  },
  command(r: ShellRequest, shellId: string, body: CommandLineBody, options: readonly WSManOption[] = []): string {
    return buildEnvelope(headers(r, ACTION.Command, { selectors: shellSel(shellId), options }), commandLineBody(body));
  },
  send(r: ShellRequest, shellId: string, streams: readonly StreamData[]): string {
    return buildEnvelope(headers(r, ACTION.Send, { selectors: shellSel(shellId) }), sendBody(streams));
  },
  /**
   * The same envelope as send(), as UTF-8 bytes built without the streams'
   * base64 or the envelope ever being one string (a file upload sends hundreds
   * of these, each 500 KB or more: large strings stay until a full GC).
   */
  sendBytes(r: ShellRequest, shellId: string, streams: readonly StreamData[]): Buffer {
    const empty = buildEnvelope(headers(r, ACTION.Send, { selectors: shellSel(shellId) }));
    return textWithBase64([empty.slice(0, -ENVELOPE_TAIL.length), ...sendBodyParts(streams), ENVELOPE_TAIL]);
  },
  receive(r: ShellRequest, shellId: string, o: { commandId?: string; streams?: string; keepAlive?: boolean; sequenceId?: number } = {}): string {
    const options = o.keepAlive ?? true ? [{ name: 'WSMAN_CMDSHELL_OPTION_KEEPALIVE', value: 'True' }] : [];
    return buildEnvelope(
      headers(r, ACTION.Receive, { selectors: shellSel(shellId), options }),
      receiveBody(o.streams ?? 'stdout stderr', o.commandId, o.sequenceId),
    );
  },
  signal(r: ShellRequest, shellId: string, code: string, commandId?: string): string {
    return buildEnvelope(headers(r, ACTION.Signal, { selectors: shellSel(shellId) }), signalBody(code, commandId));
  },
  delete(r: ShellRequest, shellId: string): string {
    return buildEnvelope(headers(r, ACTION.Delete, { selectors: shellSel(shellId) }));
  },
  disconnect(r: ShellRequest, shellId: string, o: { bufferMode?: BufferMode; idleTimeoutMs?: number } = {}): string {
    return buildEnvelope(headers(r, ACTION.Disconnect, { selectors: shellSel(shellId) }), disconnectBody(o));
  },
  reconnect(r: ShellRequest, shellId: string, commandId?: string): string {
    return buildEnvelope(headers(r, ACTION.Reconnect, { selectors: shellSel(shellId) }), reconnectBody(commandId));
  },
  connect(r: ShellRequest, shellId: string, o: { connectXml?: Uint8Array; commandId?: string; protocolVersion?: string }): string {
    const options = o.protocolVersion ? [{ name: 'protocolversion', value: o.protocolVersion, mustComply: true }] : [];
    return buildEnvelope(headers(r, ACTION.Connect, { selectors: shellSel(shellId), options }), connectBody(o));
  },
  enumerate(r: ShellRequest, o: EnumerateOptions = {}): string {
    return buildEnvelope(headers(r, ACTION.Enumerate), enumerateBody(o));
  },
  pull(r: ShellRequest, context: string, maxElements?: number): string {
    return buildEnvelope(headers(r, ACTION.Pull), pullBody(context, maxElements));
  },
  get(r: ShellRequest, selectors: readonly Selector[] = []): string {
    return buildEnvelope(headers(r, ACTION.Get, { selectors }));
  },
  put(r: ShellRequest, selectors: readonly Selector[], bodyXml: string): string {
    return buildEnvelope(headers(r, ACTION.Put, { selectors }), bodyXml);
  },
  /** Custom action (WMI method call): action = resource URI + '/' + method. */
  invoke(r: ShellRequest, method: string, selectors: readonly Selector[], inputXml: string): string {
    return buildEnvelope(headers(r, `${r.resourceUri}/${method}`, { selectors }), inputXml);
  },
};

/** PowerShell Create options: the protocol version the client speaks, MustComply (MS-PSRP 3.1.5.3.1). */
export function powerShellCreateOptions(protocolVersion = '2.3'): WSManOption[] {
  return [{ name: 'protocolversion', value: protocolVersion, mustComply: true }];
}

/** WinRS Create options (codepage 65001 by default; profile and cmd-shell switches). */
export function winrsCreateOptions(o: { codepage?: number; noProfile?: boolean; skipCmdShell?: boolean } = {}): WSManOption[] {
  const out: WSManOption[] = [{ name: 'WINRS_CODEPAGE', value: String(o.codepage ?? 65001) }];
  if (o.noProfile) out.push({ name: 'WINRS_NOPROFILE', value: 'TRUE' });
  if (o.skipCmdShell) out.push({ name: 'WINRS_SKIP_CMD_SHELL', value: 'TRUE' });
  return out;
}

/**
 * How many raw bytes of PSRP data fit one request under `maxEnvelopeSize`, given
 * the envelope it travels in (built with an empty payload). Base64 turns 3 bytes
 * into 4; a margin covers ids and headers that vary between requests.
 */
export function maxPayloadBytes(maxEnvelopeSize: number, emptyEnvelope: string, margin = 256): number {
  const overhead = Buffer.byteLength(emptyEnvelope, 'utf8') + margin;
  const room = maxEnvelopeSize - overhead;
  if (room < 64) throw new UsageError(`MaxEnvelopeSize ${maxEnvelopeSize} leaves no room for data (envelope needs ${overhead} bytes)`);
  return Math.floor(room / 4) * 3;
}

export { RESOURCE };

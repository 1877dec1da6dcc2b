// The OutOfProc framing PowerShell uses over a child process's stdio (`pwsh -s`),
// a named pipe / Unix socket and an SSH subsystem: one XML element per line,
// PSRP fragments in base64 inside <Data>. Grammar as SMA writes it
// (OutOfProcTransportManager.cs, OutOfProcessUtils):
//   <Data Stream='Default|PromptResponse' PSGuid='guid'>base64</Data>
//   <DataAck|Command|CommandAck|Signal|SignalAck|Close|CloseAck PSGuid='guid' />
// PSGuid is the runspace pool's all-zero GUID for session traffic, otherwise a
// PowerShell (pipeline) id. SMA always writes single quotes and lower-case GUIDs;
// this parser also takes double quotes, either attribute order and extra
// whitespace (SMA's own reader does), but exactly one element per line.

import { RemoteProtocolError, UsageError } from '../../errors.js';
import { isGuid, ZERO_GUID } from '../../util/guid.js';
import { decodeBase64Checked, textWithBase64 } from '../../util/base64.js';

export const POOL_GUID = ZERO_GUID;
/** How SMA marks transport errors written in-band (ssh and named-pipe modes). */
export const ERROR_PREFIX = '__NamedPipeError__:';

export type OutOfProcStream = 'Default' | 'PromptResponse';
export type ControlKind = 'DataAck' | 'Command' | 'CommandAck' | 'Signal' | 'SignalAck' | 'Close' | 'CloseAck';

export type OutOfProcPacket =
  | { readonly kind: 'Data'; readonly stream: OutOfProcStream; readonly psGuid: string; readonly payload: Uint8Array }
  | { readonly kind: ControlKind; readonly psGuid: string }
  | { readonly kind: 'TransportError'; readonly message: string };

const CONTROL = new Set<string>(['DataAck', 'Command', 'CommandAck', 'Signal', 'SignalAck', 'Close', 'CloseAck']);
/** What a client may send; the server treats anything else from a client as fatal. */
export const CLIENT_KINDS: ReadonlySet<string> = new Set(['Data', 'Command', 'Signal', 'Close']);
/** What a server sends. */
export const SERVER_KINDS: ReadonlySet<string> = new Set(['Data', 'DataAck', 'CommandAck', 'SignalAck', 'CloseAck', 'TransportError']);


/** One line (without its line break) for a packet. */
export function encodePacket(p: OutOfProcPacket): string {
  if (p.kind === 'TransportError') return ERROR_PREFIX + p.message.replace(/[\r\n]+/g, ' ');
  const guid = checkGuid(p.psGuid, 'encode');
  if (p.kind === 'Data') {
    // An empty <Data></Data> is fatal on the server.
    if (p.payload.length === 0) throw new UsageError('an OutOfProc Data packet needs a non-empty payload');
    return `<Data Stream='${p.stream}' PSGuid='${guid}'>${Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength).toString('base64')}</Data>`;
  }
  return `<${p.kind} PSGuid='${guid}' />`;
}

/**
 * encodePacket of a <Data> packet and its LF as bytes, without the payload's
 * base64 or the line ever being one string: a file transfer writes hundreds of
 * lines of 500 KB, and large strings stay until a full GC.
 */
export function encodeDataLine(p: Extract<OutOfProcPacket, { kind: 'Data' }>): Buffer {
  if (p.payload.length === 0) throw new UsageError('an OutOfProc Data packet needs a non-empty payload');
  return textWithBase64([`<Data Stream='${p.stream}' PSGuid='${checkGuid(p.psGuid, 'encode')}'>`, p.payload, '</Data>\n']);
}

function checkGuid(guid: string, where: string): string {
  if (!isGuid(guid)) throw new UsageError(`not a GUID for an OutOfProc packet (${where}): ${JSON.stringify(guid.slice(0, 40))}`);
  return guid.toLowerCase();
}

function bad(message: string, line: string): RemoteProtocolError {
  const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  return new RemoteProtocolError('PSR_OUTOFPROC_INVALID', message, { where: `OutOfProc line ${JSON.stringify(shown)}` });
}

// One attribute: name, =, quoted value (no entities: SMA never writes any here).
const ATTR = /\s+([A-Za-z]+)\s*=\s*(?:'([^'<>&]*)'|"([^"<>&]*)")/y;

function parseAttributes(line: string, start: number, end: number): { attrs: Map<string, string>; pos: number } {
  const attrs = new Map<string, string>();
  let pos = start;
  for (;;) {
    ATTR.lastIndex = pos;
    const m = ATTR.exec(line);
    if (!m || m.index >= end) break;
    if (attrs.has(m[1]!)) throw bad(`attribute ${m[1]} appears twice`, line);
    attrs.set(m[1]!, m[2] ?? m[3]!);
    pos = ATTR.lastIndex;
  }
  return { attrs, pos };
}

function guidAttr(attrs: Map<string, string>, line: string): string {
  const g = attrs.get('PSGuid');
  if (g === undefined) throw bad('missing PSGuid attribute', line);
  if (!isGuid(g)) throw bad(`PSGuid ${JSON.stringify(g)} is not a GUID`, line);
  return g.toLowerCase();
}

/**
 * Parses one line (its LF/CRLF already removed). Throws RemoteProtocolError
 * (PSR_OUTOFPROC_INVALID) for anything that is not exactly one packet.
 */
export function decodePacket(raw: string): OutOfProcPacket {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.startsWith(ERROR_PREFIX)) return { kind: 'TransportError', message: line.slice(ERROR_PREFIX.length) };
  const text = line.trim();
  if (text.length === 0) throw bad('empty line (PowerShell treats it as the end of the session)', line);
  const name = /^<([A-Za-z]+)/.exec(text)?.[1];
  if (!name) throw bad('not an OutOfProc element', line);
  const { attrs, pos } = parseAttributes(text, name.length + 1, text.length);
  if (name === 'Data') {
    if (text[pos] !== '>') throw bad('malformed <Data> start tag', line);
    if (attrs.size !== 2 || !attrs.has('Stream')) throw bad('<Data> needs exactly the attributes Stream and PSGuid', line);
    const psGuid = guidAttr(attrs, line);
    const stream = attrs.get('Stream')!;
    if (stream !== 'Default' && stream !== 'PromptResponse') throw bad(`unknown Data stream ${JSON.stringify(stream)}`, line);
    const close = text.indexOf('</Data>', pos + 1);
    if (close < 0 || close + 7 !== text.length) throw bad('<Data> is not closed at the end of the line', line);
    const b64 = text.slice(pos + 1, close);
    if (b64.length === 0) throw bad('<Data> carries no payload', line);
    const bytes = decodeBase64Checked(b64);
    if (!bytes) throw bad('<Data> payload is not base64', line);
    return { kind: 'Data', stream, psGuid, payload: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }
  if (!CONTROL.has(name)) throw bad(`unknown element <${name}>`, line);
  const rest = text.slice(pos);
  if (!/^\s*\/>$/.test(rest) && !new RegExp(`^\\s*>\\s*</${name}>$`).test(rest)) throw bad(`malformed <${name}> element`, line);
  if (attrs.size !== 1) throw bad(`<${name}> needs exactly the attribute PSGuid`, line);
  return { kind: name as ControlKind, psGuid: guidAttr(attrs, line) };
}

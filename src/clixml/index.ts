// Public CLIXML API (docs/clixml.md): the value model, the reader and writer,
// the plain view, and typed readers of the MS-PSRP 2.2.3 records.

import { xmlInputToString } from '../util/xml.js';
import { ClixmlReader, type ClixmlReadOptions } from './reader.js';
import { ClixmlWriter, objsOpen, type ClixmlWriteOptions } from './writer.js';
import type { PSInput, PSValue } from './values.js';

export {
  PSObject,
  PSPropertySet,
  PSProgressRecord,
  TYPE_NAMES,
  clixmlTagOf,
  dictGet,
  isPSObject,
  type CollectionKind,
  type PSMember,
  type PSObjectInit,
  type PSPrimitive,
  type PSValue,
  type PSInput,
} from './values.js';
export {
  PSByte,
  PSChar,
  PSDecimal,
  PSDouble,
  PSGuid,
  PSInt16,
  PSInt64,
  PSSByte,
  PSScriptBlock,
  PSSecureString,
  PSSingle,
  PSUInt16,
  PSUInt32,
  PSUInt64,
  PSUri,
  PSVersion,
  PSXmlDocument,
  type PSNumberWrapper,
  type PSTextWrapper,
  type SecureStringCipher,
} from './primitives.js';
export { PSDateTime, PSDuration, type DateTimeKind } from './time.js';
export { toPlain, type PlainOptions } from './plain.js';
export { toDisplayString, recordMessage } from './display.js';
export * from './records.js';
export { encodeClixmlString, decodeClixmlString } from './escape.js';
export { CLIXML_READ_LIMITS, type ClixmlReadOptions } from './reader.js';
export type { ClixmlWriteOptions } from './writer.js';
export { PS_NAMESPACE } from './scanner.js';

/** One top-level item of a CLIXML document, with its stream name (<Obj S="progress">) if any. */
export interface ClixmlItem<V extends PSInput = PSValue> {
  readonly value: V;
  readonly stream?: string | undefined;
}

export interface ClixmlDocument {
  /** <Objs Version="...">; undefined for a document whose root is a single value. */
  readonly version: string | undefined;
  readonly items: readonly ClixmlItem[];
}

function text(input: string | Uint8Array, where: string | undefined): string {
  return typeof input === 'string' ? input : xmlInputToString(input, where);
}

/**
 * Parses a CLIXML document holding one value (what a PSRP message carries).
 * Throws PSR_XML_MALFORMED / PSR_CLIXML_INVALID (RemoteProtocolError) or a
 * LimitError, naming what was wrong and where.
 */
export function parseClixml(input: string | Uint8Array, options: ClixmlReadOptions = {}): PSValue {
  const r = new ClixmlReader(text(input, options.where), options);
  if (!r.root()) throw r.sc.clixmlError('no CLIXML element');
  if (r.sc.tag.name === 'Objs') throw r.sc.clixmlError('an <Objs> document holds a list of values (use parseClixmlDocument)', r.sc.tag.at);
  const v = r.value(0);
  r.end();
  return v;
}

/**
 * Parses an <Objs> document (Export-Clixml, powershell -OutputFormat xml) or a
 * single value, into its items.
 */
export function parseClixmlDocument(input: string | Uint8Array, options: ClixmlReadOptions = {}): ClixmlDocument {
  const r = new ClixmlReader(text(input, options.where), options);
  if (!r.root()) throw r.sc.clixmlError('no CLIXML element');
  const sc = r.sc;
  if (sc.tag.name !== 'Objs') {
    const stream = sc.tag.s;
    const value = r.value(0);
    r.end();
    return { version: undefined, items: [{ value, stream }] };
  }
  const version = sc.tag.version;
  const items: ClixmlItem[] = [];
  if (!sc.tag.selfClosing) {
    while (sc.nextChild('Objs')) {
      const stream = sc.tag.s;
      items.push({ value: r.value(0), stream });
    }
  }
  r.end();
  return { version, items };
}

/** Writes one value as a CLIXML document (no XML declaration, as PSRP sends it). */
export function serializeClixml(value: PSInput, options: ClixmlWriteOptions = {}): string {
  const w = new ClixmlWriter(options);
  w.write(value, '', 0);
  return w.result();
}

/** Writes items as an <Objs> document (each item's stream name, if any, as its S attribute). */
export function serializeClixmlDocument(
  items: Iterable<ClixmlItem<PSInput>>,
  options: ClixmlWriteOptions & { readonly version?: string } = {},
): string {
  const w = new ClixmlWriter(options);
  w.out = objsOpen(options.version);
  for (const { value, stream } of items) w.write(value, stream === undefined ? '' : ` S="${escapeAttrText(stream)}"`, 0);
  w.out += '</Objs>';
  return w.result();
}

function escapeAttrText(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

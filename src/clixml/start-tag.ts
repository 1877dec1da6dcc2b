// What the CLIXML scanner (scanner.ts) reads a start tag into, and the names
// it interns while reading one: the element names CLIXML uses and the
// property names seen recently. One StartTag is filled in place for every
// element, so reading a tag allocates nothing in the common case.

// Element names CLIXML uses. A name read from the document is matched against
// these by (length, first two characters), verified, and replaced by the
// constant, so the reader's switches compare interned strings and the common
// case allocates no name string at all.
import { InternalError } from '../errors.js';
const KNOWN_TAGS = [
  'S', 'B', 'C', 'D', 'G', 'T', 'By', 'SB', 'Sg', 'Db', 'DT', 'TS', 'BA', 'SS', 'PR', 'TN', 'MS', 'IE', 'En', 'XD',
  'AV', 'AI', 'PI', 'PC', 'SR', 'SD', 'I32', 'I16', 'I64', 'U16', 'U32', 'U64', 'Nil', 'Obj', 'Ref', 'URI', 'SBK',
  'LST', 'STK', 'QUE', 'DCT', 'Objs', 'TNRef', 'Props', 'Version', 'ToString',
];
export const tagKey = (len: number, c0: number, c1: number): number => len * 0x1000000 + c0 * 0x10000 + c1;
export const TAG_TABLE = new Map<number, string>();
for (const t of KNOWN_TAGS) {
  const k = tagKey(t.length, t.charCodeAt(0), t.length > 1 ? t.charCodeAt(1) : 0);
  if (TAG_TABLE.has(k)) throw new InternalError(`tag table collision: ${t}`);
  TAG_TABLE.set(k, t);
}

// Property names seen recently, by hash, shared by all documents: PSRP sends one
// object per message, so a per-document cache would start cold every time.
// Entries are verified against the document before use, so a collision or a
// hostile peer can only cost speed; the size is bounded by clearing.
export const NAME_CACHE = new Map<number, string>();

/**
 * Attributes CLIXML knows. Anything else on an element is an error (the
 * reader is strict); xmlns must name the PowerShell namespace.
 */
export class StartTag {
  name = '';
  /** Offset of the "<". */
  at = 0;
  selfClosing = false;
  n: string | undefined = undefined;
  /** A number for the usual decimal RefIds ("0", "17"), else the text. */
  refId: number | string | undefined = undefined;
  /** Stream name on top-level items of powershell -OutputFormat xml (<Obj S="progress">). */
  s: string | undefined = undefined;
  /** <Objs Version="1.1.0.1">. */
  version: string | undefined = undefined;
}

// CLIXML -> values (MS-PSRP 2.2.5). Strict: an unknown element or attribute,
// a value outside its type's range, a dangling Ref/TNRef, a duplicate RefId,
// two bodies in one <Obj> are all PSR_CLIXML_INVALID naming the element and the
// offset; limits (depth, length, string length, value count) are LimitErrors.
// Recursion is bounded by maxDepth, so hostile nesting is an error, never a
// stack overflow.

import { LimitError } from '../errors.js';
import { decodeClixmlString } from './escape.js';
import type { SecureStringCipher } from './primitives.js';
import { trimXml } from './numbers.js';
import { readPrimitive, readString } from './primitive-reader.js';
import { Scanner, clip } from './scanner.js';
import { BARE, PSObject, PSPropertySet, type PSMember, type PSValue } from './values.js';

export interface ClixmlReadOptions {
  /** Decrypts <SS>; without one a SecureString keeps its ciphertext. */
  readonly cipher?: SecureStringCipher | undefined;
  /** Where the document came from, for error messages. */
  readonly where?: string | undefined;
  /** Maximum nesting of objects (<Obj> and property sets). Default 256. */
  readonly maxDepth?: number | undefined;
  /** Maximum document length in characters. Default 256 Mi. */
  readonly maxLength?: number | undefined;
  /** Maximum length of one text or attribute. Default 64 Mi. */
  readonly maxStringLength?: number | undefined;
  /** Maximum number of values (every element that is a value counts). Default 10 M. */
  readonly maxObjects?: number | undefined;
}

export const CLIXML_READ_LIMITS = {
  maxDepth: 256,
  maxLength: 256 * 1024 * 1024,
  maxStringLength: 64 * 1024 * 1024,
  maxObjects: 10_000_000,
} as const;

// Decoded property names by their raw (N attribute) text, shared by all documents (see scanner.ts NAME_CACHE).
const DECODED_NAMES = new Map<string, string>();

const COLLECTION_TAGS = new Set(['LST', 'IE', 'STK', 'QUE']);

export class ClixmlReader {
  readonly sc: Scanner;
  readonly #cipher: SecureStringCipher | undefined;
  readonly #maxDepth: number;
  readonly #maxObjects: number;
  readonly #refs = new Map<number | string, PSObject>();
  readonly #tns = new Map<number | string, readonly string[]>();
  #count = 0;
  // <PR> reads its current operation as a value; made once, not per primitive.
  readonly #nextValue = (): PSValue => this.value(0);

  constructor(text: string, options: ClixmlReadOptions = {}) {
    const where = options.where ?? 'CLIXML';
    const maxLength = options.maxLength ?? CLIXML_READ_LIMITS.maxLength;
    if (text.length > maxLength) throw new LimitError('CLIXML document length', maxLength, text.length, where);
    this.sc = new Scanner(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, where, {
      maxStringLength: options.maxStringLength ?? CLIXML_READ_LIMITS.maxStringLength,
    });
    this.#cipher = options.cipher;
    this.#maxDepth = options.maxDepth ?? CLIXML_READ_LIMITS.maxDepth;
    this.#maxObjects = options.maxObjects ?? CLIXML_READ_LIMITS.maxObjects;
  }

  /** Moves to the root element's start tag; false when the document has none. */
  root(): boolean {
    const sc = this.sc;
    const c = sc.skipMisc();
    if (c < 0) return false;
    if (c !== 0x3c) throw sc.xmlError('text outside the root element');
    if (sc.s.charCodeAt(sc.pos + 1) === 0x2f) throw sc.xmlError('end tag without a start tag');
    if (sc.s.charCodeAt(sc.pos + 1) === 0x21) throw sc.xmlError('CDATA or markup declaration outside the root element');
    sc.readStartTag();
    return true;
  }

  /** After the root: nothing but whitespace, comments and processing instructions. */
  end(): void {
    const c = this.sc.skipMisc();
    if (c >= 0) throw c === 0x3c ? this.sc.clixmlError('more than one top-level element') : this.sc.xmlError('text after the root element');
  }

  /** The value whose start tag was just read (in sc.tag). */
  value(depth: number): PSValue {
    const sc = this.sc;
    const t = sc.tag;
    if (++this.#count > this.#maxObjects) throw new LimitError('CLIXML value count', this.#maxObjects, this.#count, sc.at(t.at));
    const name = t.name;
    if (name === 'S') return t.selfClosing ? '' : readString(sc, 'S', t.at);
    if (name === 'Obj') return this.#obj(depth + 1);
    if (name === 'Ref') return this.#ref();
    return readPrimitive(sc, name, this.#cipher, this.#nextValue);
  }

  #ref(): PSObject {
    const sc = this.sc;
    const { refId, at, selfClosing } = sc.tag;
    if (!selfClosing && trimXml(sc.readText('Ref')) !== '') throw sc.clixmlError('<Ref> has content', at);
    if (refId === undefined) throw sc.clixmlError('<Ref> without a RefId', at);
    const o = this.#refs.get(refId);
    if (o === undefined) throw sc.clixmlError(`<Ref RefId="${clip(String(refId))}"> names no earlier <Obj>`, at);
    return o;
  }

  #obj(depth: number): PSObject {
    const sc = this.sc;
    const { refId, at, selfClosing } = sc.tag;
    if (depth > this.#maxDepth) throw new LimitError('CLIXML depth', this.#maxDepth, depth, sc.at(at), 'PSR_CLIXML_DEPTH_LIMIT');
    const o = new PSObject(BARE);
    if (refId !== undefined) {
      if (this.#refs.has(refId)) throw sc.clixmlError(`RefId "${clip(String(refId))}" is used by two <Obj> elements`, at);
      this.#refs.set(refId, o);
    }
    if (selfClosing) return o;
    let body: string | undefined;
    let sawProps = false;
    let sawMS = false;
    let sawToString = false;
    while (sc.nextChild('Obj')) {
      const c = sc.tag;
      const name = c.name;
      switch (name) {
        case 'TN':
        case 'TNRef':
          if (o.typeNames !== undefined) throw sc.clixmlError('<Obj> has two type name lists (<TN>/<TNRef>)', c.at);
          o.typeNames = name === 'TN' ? this.#tn() : this.#tnRef();
          break;
        case 'ToString':
          if (sawToString) throw sc.clixmlError('<Obj> has two <ToString>', c.at);
          sawToString = true;
          o.toStringText = c.selfClosing ? '' : readString(sc, 'ToString', c.at);
          break;
        case 'Props':
          if (sawProps) throw sc.clixmlError('<Obj> has two <Props>', c.at);
          sawProps = true;
          if (!c.selfClosing) this.#properties((o.adapted = new Map()), 'Props', depth, false);
          break;
        case 'MS':
          if (sawMS) throw sc.clixmlError('<Obj> has two <MS>', c.at);
          sawMS = true;
          if (!c.selfClosing) this.#properties((o.extended = new Map()), 'MS', depth, true);
          break;
        case 'DCT':
          if (body !== undefined) throw sc.clixmlError(`<Obj> has two bodies (<${body}> and <DCT>)`, c.at);
          body = name;
          o.dict = c.selfClosing ? [] : this.#dict(depth);
          break;
        case 'Obj':
        case 'Ref':
          // An object whose base object is itself an object (Windows sends this, e.g. for
          // WSManConfigLeafElement under JEA): the inner one is the body.
          if (body !== undefined) throw sc.clixmlError(`<Obj> has two bodies (<${body}> and <${name}>)`, c.at);
          body = name;
          o.value = this.value(depth);
          break;
        default:
          if (COLLECTION_TAGS.has(name)) {
            if (body !== undefined) throw sc.clixmlError(`<Obj> has two bodies (<${body}> and <${name}>)`, c.at);
            body = name;
            o.listKind = name as PSObject['listKind'];
            o.list = c.selfClosing ? [] : this.#items(name, depth);
          } else {
            if (body !== undefined) throw sc.clixmlError(`<Obj> has two bodies (<${body}> and <${clip(name)}>)`, c.at);
            body = name;
            if (++this.#count > this.#maxObjects) throw new LimitError('CLIXML value count', this.#maxObjects, this.#count, sc.at(c.at));
            o.value = readPrimitive(sc, name, this.#cipher, this.#nextValue);
          }
      }
    }
    return o;
  }

  #tn(): readonly string[] {
    const sc = this.sc;
    const { refId, at, selfClosing } = sc.tag;
    const names: string[] = [];
    if (!selfClosing) {
      while (sc.nextChild('TN')) {
        const t = sc.tag;
        if (t.name !== 'T') throw sc.clixmlError(`<${clip(t.name)}> inside <TN>, which holds only <T>`, t.at);
        names.push(t.selfClosing ? '' : readString(sc, 'T', t.at));
      }
    }
    const frozen = Object.freeze(names);
    if (refId !== undefined) {
      if (this.#tns.has(refId)) throw sc.clixmlError(`<TN RefId="${clip(String(refId))}"> is defined twice`, at);
      this.#tns.set(refId, frozen);
    }
    return frozen;
  }

  #tnRef(): readonly string[] {
    const sc = this.sc;
    const { refId, at, selfClosing } = sc.tag;
    if (!selfClosing && trimXml(sc.readText('TNRef')) !== '') throw sc.clixmlError('<TNRef> has content', at);
    const names = refId === undefined ? undefined : this.#tns.get(refId);
    if (names === undefined) throw sc.clixmlError(`<TNRef RefId="${clip(String(refId))}"> names no earlier <TN>`, at);
    return names;
  }

  #properties(target: Map<string, PSMember>, section: 'MS' | 'Props', depth: number, sets: boolean): void {
    const sc = this.sc;
    while (sc.nextChild(section)) {
      const t = sc.tag;
      const at = t.at;
      // A member without N (the 2.2.2.29 spec example has <MS><S></S></MS>) is kept under the
      // name "", which PowerShell cannot give a property, and written back without N.
      const raw = t.n ?? '';
      // Property names repeat from object to object: one decoded string per distinct name.
      let name = DECODED_NAMES.get(raw);
      if (name === undefined) {
        name = decodeClixmlString(raw);
        if (name === undefined) throw sc.clixmlError('an _xHHHHHHHH_ escape in a property name names no Unicode character', at);
        if (DECODED_NAMES.size >= 4096) DECODED_NAMES.clear();
        DECODED_NAMES.set(raw, name);
      }
      if (target.has(name)) throw sc.clixmlError(`property ${JSON.stringify(clip(name))} appears twice in <${section}>`, at);
      if (sets && t.name === 'MS') {
        if (depth + 1 > this.#maxDepth) throw new LimitError('CLIXML depth', this.#maxDepth, depth + 1, sc.at(at), 'PSR_CLIXML_DEPTH_LIMIT');
        const set = new PSPropertySet();
        if (!t.selfClosing) this.#properties(set.properties, 'MS', depth + 1, true);
        target.set(name, set);
      } else {
        target.set(name, this.value(depth));
      }
    }
  }

  #items(tag: string, depth: number): PSValue[] {
    const sc = this.sc;
    const items: PSValue[] = [];
    while (sc.nextChild(tag)) items.push(this.value(depth));
    return items;
  }

  #dict(depth: number): [PSValue, PSValue][] {
    const sc = this.sc;
    const entries: [PSValue, PSValue][] = [];
    while (sc.nextChild('DCT')) {
      const en = sc.tag;
      const at = en.at;
      if (en.name !== 'En') throw sc.clixmlError(`<${clip(en.name)}> inside <DCT>, which holds only <En>`, at);
      if (en.selfClosing) throw sc.clixmlError('<En> without Key and Value', at);
      let key: PSValue | undefined;
      let val: PSValue | undefined;
      let seen = 0;
      while (sc.nextChild('En')) {
        const which = sc.tag.n;
        const kat = sc.tag.at;
        if (which === 'Key' && !(seen & 1)) {
          seen |= 1;
          key = this.value(depth);
        } else if (which === 'Value' && !(seen & 2)) {
          seen |= 2;
          val = this.value(depth);
        } else {
          throw sc.clixmlError(`<En> child named ${JSON.stringify(which === undefined ? null : clip(which))} (expected one Key and one Value)`, kat);
        }
      }
      if (seen !== 3) throw sc.clixmlError(`<En> without a ${seen & 1 ? 'Value' : 'Key'}`, at);
      entries.push([key!, val!]);
    }
    return entries;
  }
}

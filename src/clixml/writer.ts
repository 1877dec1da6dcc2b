// Values -> CLIXML, in the layout PowerShell's serializer writes: every <Obj>
// gets a RefId, an object met again (the same instance: a shared object or a
// cycle) is written as <Ref>, a type-name list met again as <TNRef>.
//
// Besides the value model (values.ts) the writer takes plain JavaScript for
// convenience: bigint -> I64 (U64 above Int64), Date -> DT (Utc), arrays ->
// System.Object[] (LST), Map and plain objects -> Hashtable (DCT), undefined
// -> Nil. Reading such a document gives the value model back, not these.

import { LimitError, RemoteProtocolError, UsageError } from '../errors.js';
import { encodeAttr, encodeText, escapeXml } from './escape.js';
import { formatBase64, formatDouble, formatSingle } from './numbers.js';
import * as P from './primitives.js';
import { INT64_MAX, UINT64_MAX, PSSecureString, type SecureStringCipher } from './primitives.js';
import { PSDateTime, PSDuration } from './time.js';
import { PSObject, PSProgressRecord, PSPropertySet, TYPE_NAMES, type PSMember } from './values.js';
import { PS_NAMESPACE } from './scanner.js';

export interface ClixmlWriteOptions {
  /** Encrypts SecureStrings that hold plaintext (the PSRP session key). */
  readonly cipher?: SecureStringCipher | undefined;
  /** Maximum nesting while writing (guards against runaway JavaScript structures). Default 1000. */
  readonly maxDepth?: number | undefined;
}

const MAX_WRITE_DEPTH = 1000;

// The class each tag must come from, so a look-alike plain object is refused rather than written unchecked.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
const WRAPPERS: Record<string, Function> = {
  C: P.PSChar, By: P.PSByte, SB: P.PSSByte, I16: P.PSInt16, U16: P.PSUInt16, U32: P.PSUInt32, I64: P.PSInt64, U64: P.PSUInt64,
  Sg: P.PSSingle, Db: P.PSDouble, D: P.PSDecimal, G: P.PSGuid, URI: P.PSUri, Version: P.PSVersion, XD: P.PSXmlDocument,
  SBK: P.PSScriptBlock, SS: P.PSSecureString, DT: PSDateTime, TS: PSDuration, PR: PSProgressRecord,
};

// The output grows by small appends; V8 keeps them as a tree of cons strings
// until the end, and a 50 MB document becomes millions of retained nodes that
// dominate GC time (64% of serialization before this). So the current piece is
// flattened and set aside every CHUNK characters, which lets the small
// strings die young. spec-notes/xml-reader.md has the measurement.
const CHUNK = 1 << 16;

function flatten(s: string): string {
  // ToNumber flattens a cons string (the trick of the "flatstr" package); the number is discarded.
  void ((s as unknown as number) | 0);
  return s;
}

export class ClixmlWriter {
  out = '';
  readonly #chunks: string[] = [];
  readonly #cipher: SecureStringCipher | undefined;
  readonly #maxDepth: number;
  readonly #objIds = new Map<object, number>();
  readonly #tnIds = new Map<string, number>();
  readonly #tnByArray = new Map<readonly string[], number>();
  readonly #names = new Map<string, string>();

  constructor(options: ClixmlWriteOptions = {}) {
    this.#cipher = options.cipher;
    this.#maxDepth = options.maxDepth ?? MAX_WRITE_DEPTH;
  }

  /** ` N="..."` for a property name (cached: objects repeat their names). */
  nameAttr(name: string): string {
    let a = this.#names.get(name);
    if (a === undefined) {
      if (typeof name !== 'string') throw new UsageError(`a property name must be a string, got ${typeof name}`);
      a = name.length === 0 ? '' : ` N="${encodeAttr(name)}"`;
      this.#names.set(name, a);
    }
    return a;
  }

  /** Writes one value; `attrs` is the attribute text (` N="x"`) or ''. */
  write(v: unknown, attrs: string, depth: number): void {
    if (v === null || v === undefined) {
      this.out += `<Nil${attrs} />`;
      return;
    }
    switch (typeof v) {
      case 'string':
        this.out += v.length === 0 ? `<S${attrs} />` : `<S${attrs}>${encodeText(v)}</S>`;
        return;
      case 'number':
        if ((v | 0) === v && !Object.is(v, -0)) this.out += `<I32${attrs}>${v}</I32>`;
        else this.out += `<Db${attrs}>${formatDouble(v)}</Db>`;
        return;
      case 'boolean':
        this.out += v ? `<B${attrs}>true</B>` : `<B${attrs}>false</B>`;
        return;
      case 'bigint':
        if (v >= -INT64_MAX - 1n && v <= INT64_MAX) this.out += `<I64${attrs}>${v}</I64>`;
        else if (v > 0n && v <= UINT64_MAX) this.out += `<U64${attrs}>${v}</U64>`;
        else throw new UsageError(`bigint ${v} does not fit Int64 or UInt64`);
        return;
      case 'object':
        break;
      default:
        throw new UsageError(`cannot serialize a ${typeof v} as CLIXML`);
    }
    if (v instanceof PSObject) return this.#obj(v, attrs, depth + 1);
    const tag = (v as { tag?: unknown }).tag;
    if (typeof tag === 'string' && WRAPPERS[tag] !== undefined) {
      if (!(v instanceof WRAPPERS[tag]!)) throw new UsageError(`an object with tag ${JSON.stringify(tag)} that is not a ${WRAPPERS[tag]!.name}`);
      return this.#tagged(tag, v, attrs);
    }
    if (v instanceof Uint8Array) {
      this.out += v.byteLength === 0 ? `<BA${attrs} />` : `<BA${attrs}>${formatBase64(v)}</BA>`;
      return;
    }
    if (v instanceof Date) {
      this.out += `<DT${attrs}>${PSDateTime.fromDate(v).toString()}</DT>`;
      return;
    }
    if (v instanceof PSPropertySet) throw new UsageError('a property set can only be an extended (MS) property');
    this.#convenience(v, attrs, depth + 1);
  }

  #tagged(tag: string, v: object, attrs: string): void {
    const x = v as { value: unknown };
    switch (tag) {
      case 'By':
      case 'SB':
      case 'I16':
      case 'U16':
      case 'U32':
      case 'I64':
      case 'U64':
      case 'C':
        this.out += `<${tag}${attrs}>${x.value as number}</${tag}>`;
        return;
      case 'Db':
        this.out += `<Db${attrs}>${formatDouble(x.value as number)}</Db>`;
        return;
      case 'Sg':
        this.out += `<Sg${attrs}>${formatSingle(x.value as number)}</Sg>`;
        return;
      case 'D':
      case 'G':
      case 'Version':
        this.out += `<${tag}${attrs}>${escapeXml(String(x.value))}</${tag}>`;
        return;
      case 'DT':
      case 'TS':
        if (!(v instanceof PSDateTime) && !(v instanceof PSDuration)) break;
        this.out += `<${tag}${attrs}>${v.toString()}</${tag}>`;
        return;
      case 'URI':
      case 'XD':
      case 'SBK': {
        const s = String(x.value);
        this.out += s.length === 0 ? `<${tag}${attrs} />` : `<${tag}${attrs}>${encodeText(s)}</${tag}>`;
        return;
      }
      case 'SS':
        if (v instanceof PSSecureString) return this.#secureString(v, attrs);
        break;
      case 'PR':
        if (v instanceof PSProgressRecord) return this.#progressRecord(v, attrs);
        break;
    }
    throw new UsageError(`cannot serialize an object with tag ${JSON.stringify(tag)} as CLIXML`);
  }

  #secureString(v: PSSecureString, attrs: string): void {
    const plain = v.reveal();
    if (plain === undefined) {
      this.out += `<SS${attrs}>${escapeXml(v.encrypted ?? '')}</SS>`;
      return;
    }
    if (this.#cipher === undefined) {
      throw new RemoteProtocolError('PSR_PSRP_CRYPTO', 'a SecureString needs the session key exchange first (no cipher to encrypt it)');
    }
    this.out += `<SS${attrs}>${this.#cipher.encryptToBase64(plain)}</SS>`;
  }

  #progressRecord(r: PSProgressRecord, attrs: string): void {
    const op = r.currentOperation === null ? '<Nil />' : `<S>${encodeText(r.currentOperation)}</S>`;
    this.out +=
      `<PR${attrs}><AV>${encodeText(r.activity)}</AV><AI>${r.activityId | 0}</AI>${op}` +
      `<PI>${r.parentActivityId | 0}</PI><PC>${r.percentComplete | 0}</PC><T>${encodeText(r.recordType)}</T>` +
      `<SR>${r.secondsRemaining | 0}</SR><SD>${encodeText(r.statusDescription)}</SD></PR>`;
  }

  /** RefId for an object met for the first time, or writes <Ref> and returns -1. */
  #enter(o: object, attrs: string, depth: number): number {
    const known = this.#objIds.get(o);
    if (known !== undefined) {
      this.out += `<Ref${attrs} RefId="${known}" />`;
      return -1;
    }
    if (depth > this.#maxDepth) throw new LimitError('CLIXML write depth', this.#maxDepth, depth);
    const id = this.#objIds.size;
    this.#objIds.set(o, id);
    return id;
  }

  #typeNames(names: readonly string[]): void {
    let id = this.#tnByArray.get(names);
    if (id === undefined) {
      const key = names.length === 1 ? names[0]! : JSON.stringify(names);
      id = this.#tnIds.get(key);
      if (id === undefined) {
        id = this.#tnIds.size;
        this.#tnIds.set(key, id);
        let t = `<TN RefId="${id}">`;
        for (const n of names) t += n.length === 0 ? '<T />' : `<T>${encodeText(n)}</T>`;
        this.out += `${t}</TN>`;
        this.#tnByArray.set(names, id);
        return;
      }
      this.#tnByArray.set(names, id);
    }
    this.out += `<TNRef RefId="${id}" />`;
  }

  /** The whole document written so far. */
  result(): string {
    if (this.#chunks.length === 0) return this.out;
    this.#chunks.push(this.out);
    this.out = '';
    const all = this.#chunks.join('');
    this.#chunks.length = 0;
    this.out = all;
    return all;
  }

  #maybeFlush(): void {
    if (this.out.length > CHUNK) {
      this.#chunks.push(flatten(this.out));
      this.out = '';
    }
  }

  #obj(o: PSObject, attrs: string, depth: number): void {
    this.#maybeFlush();
    const id = this.#enter(o, attrs, depth);
    if (id < 0) return;
    this.out += `<Obj${attrs} RefId="${id}">`;
    if (o.typeNames !== undefined) this.#typeNames(o.typeNames);
    if (o.toStringText !== undefined) {
      this.out += o.toStringText.length === 0 ? '<ToString />' : `<ToString>${encodeText(o.toStringText)}</ToString>`;
    }
    const bodies = (o.value !== undefined ? 1 : 0) + (o.list !== undefined ? 1 : 0) + (o.dict !== undefined ? 1 : 0);
    if (bodies > 1) throw new UsageError('a PSObject can have only one of value, list and dict');
    if (o.value !== undefined) {
      this.write(o.value, '', depth);
    } else if (o.list !== undefined) {
      const k = o.listKind;
      if (k !== 'LST' && k !== 'IE' && k !== 'STK' && k !== 'QUE') throw new UsageError(`unknown list kind ${JSON.stringify(k)}`);
      if (o.list.length === 0) this.out += `<${k} />`;
      else {
        this.out += `<${k}>`;
        for (const item of o.list) {
          this.write(item, '', depth);
          this.#maybeFlush();
        }
        this.out += `</${k}>`;
      }
    } else if (o.dict !== undefined) {
      this.#dict(o.dict, depth);
    }
    if (o.adapted.size > 0) {
      this.out += '<Props>';
      for (const [k, v] of o.adapted) {
        if (v instanceof PSPropertySet) throw new UsageError(`adapted property ${JSON.stringify(k)} is a property set; only extended properties can be`);
        this.write(v, this.nameAttr(k), depth);
      }
      this.out += '</Props>';
    }
    if (o.extended.size > 0) this.#members(o.extended, '', depth);
    this.out += '</Obj>';
  }

  #members(m: Map<string, PSMember>, attrs: string, depth: number): void {
    if (depth > this.#maxDepth) throw new LimitError('CLIXML write depth', this.#maxDepth, depth);
    this.out += `<MS${attrs}>`;
    for (const [k, v] of m) {
      if (v instanceof PSPropertySet) this.#members(v.properties, this.nameAttr(k), depth + 1);
      else this.write(v, this.nameAttr(k), depth);
    }
    this.out += '</MS>';
  }

  #dict(entries: readonly (readonly [unknown, unknown])[] | Map<unknown, unknown>, depth: number): void {
    if ((Array.isArray(entries) ? entries.length : (entries as Map<unknown, unknown>).size) === 0) {
      this.out += '<DCT />';
      return;
    }
    this.out += '<DCT>';
    for (const [k, v] of entries) {
      this.out += '<En>';
      this.write(k, ' N="Key"', depth);
      this.write(v, ' N="Value"', depth);
      this.out += '</En>';
      this.#maybeFlush();
    }
    this.out += '</DCT>';
  }

  // Arrays, Maps and plain objects: what PowerShell would send for them.
  #convenience(v: object, attrs: string, depth: number): void {
    const proto = Object.getPrototypeOf(v) as unknown;
    const isArray = Array.isArray(v);
    const isMap = v instanceof Map;
    if (!isArray && !isMap && proto !== Object.prototype && proto !== null) {
      throw new UsageError(`cannot serialize a ${(v as { constructor?: { name?: string } }).constructor?.name ?? 'object'} as CLIXML (use PSObject)`);
    }
    const id = this.#enter(v, attrs, depth);
    if (id < 0) return;
    this.out += `<Obj${attrs} RefId="${id}">`;
    this.#typeNames(isArray ? TYPE_NAMES.objectArray : TYPE_NAMES.hashtable);
    if (isArray) {
      const a = v as unknown[];
      if (a.length === 0) this.out += '<LST />';
      else {
        this.out += '<LST>';
        for (const item of a) {
          this.write(item, '', depth);
          this.#maybeFlush();
        }
        this.out += '</LST>';
      }
    } else {
      this.#dict(isMap ? (v as Map<unknown, unknown>) : Object.entries(v), depth);
    }
    this.out += '</Obj>';
  }
}

/** The <Objs> root PowerShell writes around a stream of objects (Export-Clixml, -OutputFormat xml). */
export function objsOpen(version = '1.1.0.1'): string {
  return `<Objs Version="${escapeXml(version)}" xmlns="${PS_NAMESPACE}">`;
}

// INTERIM: a minimal CLIXML value model and codec so that the PSRP state
// machines can be built and tested while src/clixml/ is being written. Only
// clixml-bridge.ts uses it, and it goes away when the bridge switches to
// src/clixml. It is deliberately small: strings, I32, booleans and null map to
// JS values; every other primitive keeps its tag and text; objects keep type
// names, ToString, extended (MS) and adapted (Props) properties, a list/dict
// body and an enum's value. Ref/RefId and TN/TNRef are resolved.

import { LimitError, RemoteProtocolError } from '../errors.js';
import { XmlScanner, escapeXmlAttr, escapeXmlText, type XmlToken } from '../util/xml.js';
import type { SessionKeyCipher } from './key-exchange.js';

export interface IPrim {
  readonly kind: 'prim';
  /** CLIXML element name: I64, U64, Version, G, BA, DT, Db, SS, ... */
  readonly tag: string;
  /** Element text (for SS: the decrypted plaintext). */
  readonly text: string;
}

export interface IObj {
  readonly kind: 'obj';
  typeNames: string[] | undefined;
  toStringText: string | undefined;
  readonly props: Map<string, IValue>;
  readonly adapted: Map<string, IValue>;
  /** LST / IE / STK / QUE items. */
  list: IValue[] | undefined;
  listTag: string | undefined;
  /** DCT entries. */
  dict: [IValue, IValue][] | undefined;
  /** Enum / extended primitive value inside the Obj. */
  value: IValue | undefined;
}

export type IValue = string | number | boolean | null | IPrim | IObj;

export function isObj(v: unknown): v is IObj {
  return typeof v === 'object' && v !== null && (v as IObj).kind === 'obj';
}
export function isPrim(v: unknown): v is IPrim {
  return typeof v === 'object' && v !== null && (v as IPrim).kind === 'prim';
}

export function newObj(init: Partial<Omit<IObj, 'kind' | 'props' | 'adapted'>> = {}): IObj {
  return {
    kind: 'obj',
    typeNames: init.typeNames,
    toStringText: init.toStringText,
    props: new Map(),
    adapted: new Map(),
    list: init.list,
    listTag: init.listTag ?? (init.list === undefined ? undefined : 'LST'),
    dict: init.dict,
    value: init.value,
  };
}

export function prim(tag: string, text: string): IPrim {
  return { kind: 'prim', tag, text };
}

// _xHHHH_ escaping (MS-PSRP 2.2.5.3.2)
export function decodeEscapes(s: string): string {
  if (!s.includes('_x')) return s;
  return s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}
export function encodeEscapes(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const isSurrogate = c >= 0xd800 && c <= 0xdfff;
    const paired =
      (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) ||
      (c >= 0xdc00 && c <= 0xdfff && i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff);
    if (
      (c < 0x20 && c !== 0x09) ||
      c === 0xfffe ||
      c === 0xffff ||
      (isSurrogate && !paired) ||
      (c === 0x5f && /^_x[0-9A-Fa-f]{4}_/.test(s.slice(i)))
    ) {
      out += `_x${c.toString(16).toUpperCase().padStart(4, '0')}_`;
    } else {
      out += s[i];
    }
  }
  return out;
}

export interface InterimContext {
  readonly cipher?: SessionKeyCipher | undefined;
}

const MAX_DEPTH = 128;

class Parser {
  readonly #sc: XmlScanner;
  readonly #refs = new Map<string, IValue>();
  readonly #tns = new Map<string, string[]>();
  #peeked: XmlToken | undefined;

  constructor(
    xml: string,
    readonly ctx: InterimContext,
    readonly where: string,
  ) {
    this.#sc = new XmlScanner(xml, { where, fragment: true, maxDepth: MAX_DEPTH });
  }

  fail(msg: string): RemoteProtocolError {
    return new RemoteProtocolError('PSR_CLIXML_INVALID', msg, { where: this.where });
  }

  next(): XmlToken | undefined {
    if (this.#peeked !== undefined) {
      const t = this.#peeked;
      this.#peeked = undefined;
      return t;
    }
    return this.#sc.next();
  }

  /** Next non-whitespace token. */
  nextSig(): XmlToken | undefined {
    for (;;) {
      const t = this.next();
      if (t === undefined || t.kind !== 'text' || t.text.trim() !== '') return t;
    }
  }

  peekSig(): XmlToken | undefined {
    const t = this.nextSig();
    this.#peeked = t;
    return t;
  }

  text(start: XmlToken & { kind: 'start' }): string {
    if (start.selfClosing) return '';
    let out = '';
    for (;;) {
      const t = this.next();
      if (t === undefined) throw this.fail(`unterminated <${start.name}>`);
      if (t.kind === 'text') out += t.text;
      else if (t.kind === 'end') return out;
      else throw this.fail(`<${t.name}> inside <${start.name}>`);
    }
  }

  /** Parse the whole document: one value (or a stream of them, returns the first). */
  document(): IValue {
    const t = this.nextSig();
    if (t === undefined) throw this.fail('no CLIXML element');
    if (t.kind !== 'start') throw this.fail('text outside an element');
    const v = this.value(t, 0);
    const rest = this.nextSig();
    if (rest !== undefined) throw this.fail('more than one top-level element');
    return v;
  }

  value(t: XmlToken & { kind: 'start' }, depth: number): IValue {
    if (depth > MAX_DEPTH) throw new LimitError('CLIXML depth', MAX_DEPTH, depth, this.where);
    const refId = t.attrs.get('RefId');
    switch (t.name) {
      case 'Nil':
        this.text(t);
        return null;
      case 'S':
        return decodeEscapes(this.text(t));
      case 'I32': {
        const s = this.text(t).trim();
        const n = Number(s);
        if (!/^[-+]?\d+$/.test(s) || n < -2147483648 || n > 2147483647) throw this.fail(`invalid I32 ${JSON.stringify(s)}`);
        return n;
      }
      case 'B': {
        const s = this.text(t).trim().toLowerCase();
        if (s !== 'true' && s !== 'false') throw this.fail(`invalid B ${JSON.stringify(s)}`);
        return s === 'true';
      }
      case 'SS': {
        const text = this.text(t).trim();
        if (this.ctx.cipher === undefined) return prim('SSEnc', text);
        return prim('SS', this.ctx.cipher.decryptFromBase64(text));
      }
      case 'Ref': {
        this.text(t);
        const id = t.attrs.get('RefId');
        const v = id === undefined ? undefined : this.#refs.get(id);
        if (v === undefined) throw this.fail(`<Ref RefId="${id}"> names no earlier object`);
        return v;
      }
      case 'Obj': {
        const o = this.obj(t, depth);
        if (refId !== undefined) this.#refs.set(refId, o);
        return o;
      }
      case 'C':
      case 'DT':
      case 'TS':
      case 'By':
      case 'SB':
      case 'U16':
      case 'I16':
      case 'U32':
      case 'U64':
      case 'I64':
      case 'Sg':
      case 'Db':
      case 'D':
      case 'BA':
      case 'G':
      case 'URI':
      case 'Version':
      case 'XD':
      case 'SBK':
        return prim(t.name, t.name === 'XD' || t.name === 'SBK' || t.name === 'URI' ? decodeEscapes(this.text(t)) : this.text(t).trim());
      default:
        throw this.fail(`unknown CLIXML element <${t.name}>`);
    }
  }

  obj(t: XmlToken & { kind: 'start' }, depth: number): IObj {
    const o = newObj();
    if (t.selfClosing) return o;
    for (;;) {
      const c = this.nextSig();
      if (c === undefined) throw this.fail('unterminated <Obj>');
      if (c.kind === 'end') return o;
      if (c.kind === 'text') throw this.fail('text directly inside <Obj>');
      switch (c.name) {
        case 'TN': {
          const names: string[] = [];
          if (!c.selfClosing) {
            for (;;) {
              const n = this.nextSig();
              if (n === undefined) throw this.fail('unterminated <TN>');
              if (n.kind === 'end') break;
              if (n.kind !== 'start' || n.name !== 'T') throw this.fail('<TN> holds something other than <T>');
              names.push(decodeEscapes(this.text(n)));
            }
          }
          const id = c.attrs.get('RefId');
          if (id !== undefined) this.#tns.set(id, names);
          o.typeNames = names;
          break;
        }
        case 'TNRef': {
          this.text(c);
          const names = this.#tns.get(c.attrs.get('RefId') ?? '');
          if (names === undefined) throw this.fail(`<TNRef RefId="${c.attrs.get('RefId')}"> names no earlier <TN>`);
          o.typeNames = names;
          break;
        }
        case 'ToString':
          o.toStringText = decodeEscapes(this.text(c));
          break;
        case 'MS':
        case 'Props': {
          const target = c.name === 'MS' ? o.props : o.adapted;
          if (c.selfClosing) break;
          for (;;) {
            const m = this.nextSig();
            if (m === undefined) throw this.fail(`unterminated <${c.name}>`);
            if (m.kind === 'end') break;
            if (m.kind !== 'start') throw this.fail(`text inside <${c.name}>`);
            const name = m.attrs.get('N');
            const v = this.value(m, depth + 1);
            target.set(name === undefined ? '' : decodeEscapes(name), v);
          }
          break;
        }
        case 'LST':
        case 'IE':
        case 'STK':
        case 'QUE': {
          const items: IValue[] = [];
          if (!c.selfClosing) {
            for (;;) {
              const m = this.nextSig();
              if (m === undefined) throw this.fail(`unterminated <${c.name}>`);
              if (m.kind === 'end') break;
              if (m.kind !== 'start') throw this.fail(`text inside <${c.name}>`);
              items.push(this.value(m, depth + 1));
            }
          }
          o.list = items;
          o.listTag = c.name;
          break;
        }
        case 'DCT': {
          const entries: [IValue, IValue][] = [];
          if (!c.selfClosing) {
            for (;;) {
              const en = this.nextSig();
              if (en === undefined) throw this.fail('unterminated <DCT>');
              if (en.kind === 'end') break;
              if (en.kind !== 'start' || en.name !== 'En') throw this.fail('<DCT> holds something other than <En>');
              let key: IValue | undefined;
              let val: IValue | undefined;
              if (!en.selfClosing) {
                for (;;) {
                  const kv = this.nextSig();
                  if (kv === undefined) throw this.fail('unterminated <En>');
                  if (kv.kind === 'end') break;
                  if (kv.kind !== 'start') throw this.fail('text inside <En>');
                  const n = kv.attrs.get('N');
                  const v = this.value(kv, depth + 1);
                  if (n === 'Key') key = v;
                  else if (n === 'Value') val = v;
                  else throw this.fail(`<En> child named ${JSON.stringify(n)}`);
                }
              }
              if (key === undefined) throw this.fail('<En> without a Key');
              entries.push([key, val ?? null]);
            }
          }
          o.dict = entries;
          break;
        }
        default:
          o.value = this.value(c, depth + 1);
      }
    }
  }
}

export function parseInterim(xml: string, ctx: InterimContext, where: string): IValue {
  return new Parser(xml, ctx, where).document();
}

class Writer {
  #out: string[] = [];
  #refId = 0;
  readonly #tn = new Map<string, number>();
  #tnId = 0;

  constructor(readonly ctx: InterimContext) {}

  name(n: string | undefined): string {
    return n === undefined ? '' : ` N="${escapeXmlAttr(encodeEscapes(n))}"`;
  }

  value(v: IValue, n?: string): void {
    const N = this.name(n);
    if (v === null || v === undefined) {
      this.#out.push(`<Nil${N} />`);
    } else if (typeof v === 'string') {
      this.#out.push(v === '' ? `<S${N} />` : `<S${N}>${escapeXmlText(encodeEscapes(v))}</S>`);
    } else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) this.#out.push(`<I32${N}>${v}</I32>`);
      else this.#out.push(`<Db${N}>${v}</Db>`);
    } else if (typeof v === 'boolean') {
      this.#out.push(`<B${N}>${v}</B>`);
    } else if (isPrim(v)) {
      if (v.tag === 'SS') {
        if (this.ctx.cipher === undefined) {
          throw new RemoteProtocolError('PSR_PSRP_CRYPTO', 'a SecureString needs the session key exchange first');
        }
        this.#out.push(`<SS${N}>${this.ctx.cipher.encryptToBase64(v.text)}</SS>`);
      } else if (v.tag === 'SSEnc') {
        this.#out.push(`<SS${N}>${escapeXmlText(v.text)}</SS>`);
      } else {
        const text = v.tag === 'XD' || v.tag === 'SBK' || v.tag === 'URI' ? encodeEscapes(v.text) : v.text;
        this.#out.push(text === '' ? `<${v.tag}${N} />` : `<${v.tag}${N}>${escapeXmlText(text)}</${v.tag}>`);
      }
    } else if (isObj(v)) {
      this.obj(v, N);
    } else {
      throw new TypeError(`cannot serialize ${typeof v}`);
    }
  }

  obj(o: IObj, N: string): void {
    this.#out.push(`<Obj${N} RefId="${this.#refId++}">`);
    if (o.typeNames !== undefined) {
      const key = o.typeNames.join('\n');
      const known = this.#tn.get(key);
      if (known !== undefined) {
        this.#out.push(`<TNRef RefId="${known}" />`);
      } else {
        const id = this.#tnId++;
        this.#tn.set(key, id);
        this.#out.push(`<TN RefId="${id}">${o.typeNames.map((t) => `<T>${escapeXmlText(encodeEscapes(t))}</T>`).join('')}</TN>`);
      }
    }
    if (o.toStringText !== undefined) this.#out.push(`<ToString>${escapeXmlText(encodeEscapes(o.toStringText))}</ToString>`);
    if (o.value !== undefined) this.value(o.value);
    if (o.list !== undefined) {
      const tag = o.listTag ?? 'LST';
      if (o.list.length === 0) this.#out.push(`<${tag} />`);
      else {
        this.#out.push(`<${tag}>`);
        for (const item of o.list) this.value(item);
        this.#out.push(`</${tag}>`);
      }
    }
    if (o.dict !== undefined) {
      this.#out.push('<DCT>');
      for (const [k, val] of o.dict) {
        this.#out.push('<En>');
        this.value(k, 'Key');
        this.value(val, 'Value');
        this.#out.push('</En>');
      }
      this.#out.push('</DCT>');
    }
    if (o.adapted.size > 0) {
      this.#out.push('<Props>');
      for (const [k, val] of o.adapted) this.value(val, k);
      this.#out.push('</Props>');
    }
    if (o.props.size > 0) {
      this.#out.push('<MS>');
      for (const [k, val] of o.props) this.value(val, k);
      this.#out.push('</MS>');
    }
    this.#out.push('</Obj>');
  }

  done(): string {
    return this.#out.join('');
  }
}

export function serializeInterim(v: IValue, ctx: InterimContext): string {
  const w = new Writer(ctx);
  w.value(v);
  return w.done();
}

// The primitive elements of CLIXML (MS-PSRP 2.2.5.1) and <PR>, read strictly:
// a value outside its type's range or not in its lexical form is
// PSR_CLIXML_INVALID naming the element, its N and the offset. The structure
// (<Obj>, Ref, properties, collections) is reader.ts.

import { decodeClixmlString } from './escape.js';
import { INT64_MAX, INT64_MIN, PSByte, PSChar, PSDecimal, PSDouble, PSGuid, PSInt16, PSInt64, PSScriptBlock, PSSByte, PSSecureString, PSSingle, PSUInt16, PSUInt32, PSUInt64, PSUri, PSVersion, PSXmlDocument, UINT64_MAX, type SecureStringCipher } from './primitives.js';
import { parseBase64, parseBigInt, parseDecimalText, parseFloatText, parseSmallInt, trimXml } from './numbers.js';
import { type Scanner, clip } from './scanner.js';
import { PSDateTime, PSDuration } from './time.js';
import { PSProgressRecord, type PSPrimitive, type PSValue } from './values.js';
import { isGuid } from '../util/guid.js';

const STRUCTURE_TAGS = new Map([
  ['TN', '<Obj>'], ['TNRef', '<Obj>'], ['ToString', '<Obj>'], ['Props', '<Obj>'], ['MS', '<Obj> or <MS>'], ['LST', '<Obj>'],
  ['IE', '<Obj>'], ['STK', '<Obj>'], ['QUE', '<Obj>'], ['DCT', '<Obj>'], ['En', '<DCT>'], ['T', '<TN>'], ['Objs', 'nothing: it is the document root'],
]);

/** The text of <name> with its _xHHHHHHHH_ escapes decoded. */
export function readString(sc: Scanner, name: string, at: number): string {
  const v = decodeClixmlString(sc.readText(name));
  if (v === undefined) throw sc.clixmlError(`an _xHHHHHHHH_ escape in <${name}> names no Unicode character`, at);
  return v;
}

function textOf(sc: Scanner, name: string, selfClosing: boolean): string {
  return selfClosing ? '' : sc.readText(name);
}

function bad(sc: Scanner, what: string, text: string, name: string, at: number): never {
  const n = sc.tag.at === at ? sc.tag.n : undefined;
  throw sc.clixmlError(`invalid ${what} ${JSON.stringify(clip(text))} in <${name}${n === undefined ? '' : ` N="${clip(n)}"`}>`, at);
}

/** The value of the primitive element <name> at the scanner (or of <PR>); `value` reads the next value (for <PR>'s current operation). */
export function readPrimitive(sc: Scanner, name: string, cipher: SecureStringCipher | undefined, value: () => PSValue): PSPrimitive {
  const t = sc.tag;
  const at = t.at;
  const sel = t.selfClosing;
  switch (name) {
    case 'S':
      return sel ? '' : readString(sc, 'S', at);
    case 'I32': {
      const fast = sel ? undefined : sc.tryReadInt('I32', -2147483648, 2147483647);
      if (fast !== undefined) return fast;
      const s = textOf(sc, name, sel);
      const v = parseSmallInt(s, -2147483648, 2147483647);
      return v === undefined ? bad(sc, 'Int32', s, name, at) : v;
    }
    case 'B': {
      const fast = sel ? undefined : sc.tryReadBool();
      if (fast !== undefined) return fast;
      const s = trimXml(textOf(sc, name, sel));
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      return bad(sc, 'Boolean', s, name, at);
    }
    case 'Nil': {
      const s = textOf(sc, name, sel);
      if (trimXml(s) !== '') bad(sc, 'Nil (it must be empty)', s, name, at);
      return null;
    }
    case 'I64': {
      const fast = sel ? undefined : sc.tryReadInt('I64', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      if (fast !== undefined) return new PSInt64(BigInt(fast));
      const s = textOf(sc, name, sel);
      const v = parseBigInt(s, INT64_MIN, INT64_MAX);
      return v === undefined ? bad(sc, 'Int64', s, name, at) : new PSInt64(v);
    }
    case 'U64': {
      const s = textOf(sc, name, sel);
      const v = parseBigInt(s, 0n, UINT64_MAX);
      return v === undefined ? bad(sc, 'UInt64', s, name, at) : new PSUInt64(v);
    }
    case 'U32':
    case 'I16':
    case 'U16':
    case 'By':
    case 'SB':
    case 'C': {
      const [min, max, make, what] = SMALL_INTS[name];
      const fast = sel ? undefined : sc.tryReadInt(name, min, max);
      if (fast !== undefined) return make(fast);
      const s = textOf(sc, name, sel);
      const v = parseSmallInt(s, min, max);
      return v === undefined ? bad(sc, what, s, name, at) : make(v);
    }
    case 'Db':
    case 'Sg': {
      const s = textOf(sc, name, sel);
      const v = parseFloatText(s);
      if (v === undefined) bad(sc, name === 'Db' ? 'Double' : 'Single', s, name, at);
      return name === 'Db' ? new PSDouble(v!) : new PSSingle(v!);
    }
    case 'D': {
      const s = textOf(sc, name, sel);
      const v = parseDecimalText(s);
      return v === undefined ? bad(sc, 'Decimal', s, name, at) : new PSDecimal(v);
    }
    case 'DT': {
      const s = textOf(sc, name, sel);
      return PSDateTime.parse(trimXml(s)) ?? bad(sc, 'DateTime', s, name, at);
    }
    case 'TS': {
      const s = textOf(sc, name, sel);
      return PSDuration.parse(trimXml(s)) ?? bad(sc, 'TimeSpan (xs:duration)', s, name, at);
    }
    case 'G': {
      const s = trimXml(textOf(sc, name, sel));
      const g = s.length === 38 && s.charCodeAt(0) === 0x7b && s.charCodeAt(37) === 0x7d ? s.slice(1, 37) : s;
      return isGuid(g) ? new PSGuid(g) : bad(sc, 'Guid', s, name, at);
    }
    case 'BA': {
      const s = textOf(sc, name, sel);
      return parseBase64(s) ?? bad(sc, 'base64 in a byte array', s, name, at);
    }
    case 'Version': {
      const s = textOf(sc, name, sel);
      try {
        return new PSVersion(s);
      } catch {
        return bad(sc, 'Version', s, name, at);
      }
    }
    case 'URI':
      return new PSUri(sel ? '' : readString(sc, name, at));
    case 'XD':
      return new PSXmlDocument(sel ? '' : readString(sc, name, at));
    case 'SBK':
      return new PSScriptBlock(sel ? '' : readString(sc, name, at));
    case 'SS': {
      const s = trimXml(textOf(sc, name, sel));
      if (parseBase64(s) === undefined) bad(sc, 'SecureString (not base64)', s, name, at);
      return cipher === undefined ? PSSecureString.fromEncrypted(s) : PSSecureString.fromPlaintext(cipher.decryptFromBase64(s));
    }
    case 'PR':
      return readProgressRecord(sc, at, value);
  }
  if (STRUCTURE_TAGS.has(name)) throw sc.clixmlError(`<${name}> where a value belongs (it goes directly inside ${STRUCTURE_TAGS.get(name)})`, at);
  throw sc.clixmlError(`unknown CLIXML element <${clip(name)}>`, at);
}

// <PR>: AV, AI, CurrentOperation (<Nil/> or <S>), PI, PC, T, SR, SD in this order (serialization.cs).
function readProgressRecord(sc: Scanner, at: number, value: () => PSValue): PSProgressRecord {
  if (sc.tag.selfClosing) throw sc.clixmlError('<PR> is empty', at);
  const want = (tag: string): string => {
    if (!sc.nextChild('PR')) throw sc.clixmlError(`<PR> ends before <${tag}>`, at);
    const t = sc.tag;
    if (t.name !== tag) throw sc.clixmlError(`<${clip(t.name)}> in <PR> where <${tag}> belongs`, t.at);
    return t.selfClosing ? '' : readString(sc, tag, t.at);
  };
  const int = (tag: string): number => {
    const s = want(tag);
    const v = parseSmallInt(s, -2147483648, 2147483647);
    if (v === undefined) throw sc.clixmlError(`invalid Int32 ${JSON.stringify(clip(s))} in <${tag}> of <PR>`, at);
    return v;
  };
  const activity = want('AV');
  const activityId = int('AI');
  if (!sc.nextChild('PR')) throw sc.clixmlError('<PR> ends before its current operation', at);
  if (sc.tag.name !== 'S' && sc.tag.name !== 'Nil') throw sc.clixmlError(`<${clip(sc.tag.name)}> as the current operation of <PR> (expected <S> or <Nil>)`, sc.tag.at);
  const op = value() as string | null;
  const r = new PSProgressRecord({
    activity,
    activityId,
    currentOperation: op,
    parentActivityId: int('PI'),
    percentComplete: int('PC'),
    recordType: want('T'),
    secondsRemaining: int('SR'),
    statusDescription: want('SD'),
  });
  if (sc.nextChild('PR')) throw sc.clixmlError(`unexpected <${clip(sc.tag.name)}> at the end of <PR>`, sc.tag.at);
  return r;
}


const SMALL_INTS: Record<'U32' | 'I16' | 'U16' | 'By' | 'SB' | 'C', [number, number, (v: number) => PSPrimitive, string]> = {
  U32: [0, 4294967295, (v) => new PSUInt32(v), 'UInt32'],
  I16: [-32768, 32767, (v) => new PSInt16(v), 'Int16'],
  U16: [0, 65535, (v) => new PSUInt16(v), 'UInt16'],
  By: [0, 255, (v) => new PSByte(v), 'Byte'],
  SB: [-128, 127, (v) => new PSSByte(v), 'SByte'],
  C: [0, 65535, (v) => new PSChar(v), 'Char'],
};

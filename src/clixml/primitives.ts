// Typed primitive values of MS-PSRP 2.2.5.1 that have no exact JavaScript
// counterpart. Each wrapper carries its CLIXML tag as an own property, so two
// values of different types never compare equal (a U16 5 is not an I32 5),
// and `valueOf()` lets arithmetic and Number()/String() work on them.
// JavaScript types stand for the rest: string <S>, boolean <B>, number <I32>,
// Uint8Array <BA>, null <Nil> (see docs/clixml.md, "Type mapping").
//
// DateTime and TimeSpan live in time.ts; this file holds numbers and strings.

import { UsageError } from '../errors.js';
import { normalizeGuid } from '../util/guid.js';
import { formatSingle } from './numbers.js';

function check(ok: boolean, what: string, v: unknown): void {
  if (!ok) throw new UsageError(`${what}: ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)} is out of range`);
}

/** JSON has no NaN or infinities: they become strings. */
export function jsonNumber(n: number): number | string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return n === 0 ? 0 : n;
}

function isInt(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

/** What the number wrappers share: the number, its text and its plain view. */
abstract class NumberValue {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return String(this.value);
  }
  /** Plain data (docs/clixml.md, "Plain view"). */
  toJSON(): number | string {
    return jsonNumber(this.value);
  }
}

/**
 * The base of one integer wrapper: its tag, and a constructor that takes an
 * integer in min..max (else a UsageError naming the .NET type).
 */
function integerValue<T extends string>(tag: T, min: number, max: number, what: string) {
  return class extends NumberValue {
    readonly tag: T = tag;
    constructor(value: number) {
      check(isInt(value, min, max), what, value);
      super(value);
    }
  };
}

/** <C>: one UTF-16 code unit (System.Char), kept as its number 0..65535. */
export class PSChar {
  readonly tag = 'C' as const;
  readonly value: number;
  constructor(value: number | string) {
    const n = typeof value === 'string' ? (value.length === 1 ? value.charCodeAt(0) : -1) : value;
    check(isInt(n, 0, 0xffff), 'Char', value);
    this.value = n;
  }
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return String.fromCharCode(this.value);
  }
  toJSON(): string {
    return this.toString();
  }
}

/** <By>: System.Byte 0..255. */
export class PSByte extends integerValue('By', 0, 255, 'Byte') {}
/** <SB>: System.SByte -128..127. */
export class PSSByte extends integerValue('SB', -128, 127, 'SByte') {}
/** <I16>: System.Int16. */
export class PSInt16 extends integerValue('I16', -32768, 32767, 'Int16') {}
/** <U16>: System.UInt16. */
export class PSUInt16 extends integerValue('U16', 0, 65535, 'UInt16') {}
/** <U32>: System.UInt32. (<I32> is a plain JavaScript number.) */
export class PSUInt32 extends integerValue('U32', 0, 4294967295, 'UInt32') {}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

/** What the 64-bit integer wrappers share: a bigint (a safe integer number is taken too). */
abstract class BigIntValue {
  readonly value: bigint;
  constructor(value: bigint | number, inRange: (b: bigint) => boolean, what: string) {
    const b = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
    check(typeof b === 'bigint' && inRange(b), what, value);
    this.value = b as bigint;
  }
  valueOf(): bigint {
    return this.value;
  }
  toString(): string {
    return this.value.toString();
  }
  /** A number when it is a safe integer, else its decimal text. */
  toJSON(): number | string {
    const n = Number(this.value);
    return Number.isSafeInteger(n) ? n : this.value.toString();
  }
}

/** <I64>: System.Int64 as a bigint. */
export class PSInt64 extends BigIntValue {
  readonly tag = 'I64' as const;
  constructor(value: bigint | number) {
    super(value, (b) => b >= INT64_MIN && b <= INT64_MAX, 'Int64');
  }
}

/** <U64>: System.UInt64 as a bigint. */
export class PSUInt64 extends BigIntValue {
  readonly tag = 'U64' as const;
  constructor(value: bigint | number) {
    super(value, (b) => b >= 0n && b <= UINT64_MAX, 'UInt64');
  }
}

/** <Sg>: System.Single; the number is rounded to float32 on construction. */
export class PSSingle extends NumberValue {
  readonly tag = 'Sg' as const;
  constructor(value: number) {
    check(typeof value === 'number', 'Single', value);
    super(Math.fround(value));
  }
  override toString(): string {
    return formatSingle(this.value);
  }
  /** Plain data (docs/clixml.md, "Plain view"): the shortest decimal that is this float32 (as .NET prints it). */
  override toJSON(): number | string {
    return Number.isFinite(this.value) ? Number(formatSingle(this.value)) : jsonNumber(this.value);
  }
}

/**
 * <Db>: System.Double. Always wrapped when read, so a double never turns into
 * an Int32 on the way back (a plain JavaScript number is written as <I32>
 * when it is a 32-bit integer and as <Db> otherwise).
 */
export class PSDouble extends NumberValue {
  readonly tag = 'Db' as const;
  constructor(value: number) {
    check(typeof value === 'number', 'Double', value);
    super(value);
  }
}

const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** <D>: System.Decimal, kept exactly as its decimal text (scale included: 1.50 stays 1.50). */
export class PSDecimal {
  readonly tag = 'D' as const;
  readonly value: string;
  constructor(value: string | number | bigint) {
    const s = typeof value === 'string' ? value.trim() : String(value);
    if (!DECIMAL_RE.test(s)) throw new UsageError(`Decimal: ${JSON.stringify(String(value).slice(0, 60))} is not a decimal number`);
    this.value = s;
  }
  valueOf(): number {
    return Number(this.value);
  }
  toString(): string {
    return this.value;
  }
  /** A number when it has at most 15 significant digits (a double holds those exactly), else the text. */
  toJSON(): number | string {
    const digits = this.value.replace(/^[+-]/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return digits.length <= 15 ? jsonNumber(Number(this.value)) : this.value;
  }
}

/** What the text wrappers share: the text is their value, text and plain view. */
abstract class TextValue {
  constructor(readonly value: string) {}
  valueOf(): string {
    return this.value;
  }
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

/** <G>: System.Guid, lower-case 8-4-4-4-12 text. */
export class PSGuid extends TextValue {
  readonly tag = 'G' as const;
  constructor(value: string) {
    super(normalizeGuid(value));
  }
}

/** <URI>: System.Uri, as text. */
export class PSUri extends TextValue {
  readonly tag = 'URI' as const;
  constructor(value: string) {
    check(typeof value === 'string', 'Uri', value);
    super(value);
  }
}

const VERSION_RE = /^(\d+)\.(\d+)(?:\.(\d+)(?:\.(\d+))?)?$/;

function versionText(value: string): string {
  const m = VERSION_RE.exec(typeof value === 'string' ? value.trim() : '');
  const parts = m ? m.slice(1).filter((p) => p !== undefined).map(Number) : [];
  if (!m || parts.some((p) => p > 2147483647)) throw new UsageError(`Version: ${JSON.stringify(String(value).slice(0, 60))} is not a version`);
  return parts.join('.');
}

/** <Version>: System.Version, major.minor[.build[.revision]], each 0..2147483647. */
export class PSVersion extends TextValue {
  readonly tag = 'Version' as const;
  constructor(value: string) {
    super(versionText(value));
  }
  get major(): number {
    return Number(this.value.split('.')[0]);
  }
  get minor(): number {
    return Number(this.value.split('.')[1]);
  }
  /** -1 when absent, as in .NET. */
  get build(): number {
    return Number(this.value.split('.')[2] ?? -1);
  }
  /** -1 when absent, as in .NET. */
  get revision(): number {
    return Number(this.value.split('.')[3] ?? -1);
  }
}

/** <XD>: System.Xml.XmlDocument, as its markup text. */
export class PSXmlDocument extends TextValue {
  readonly tag = 'XD' as const;
  constructor(value: string) {
    check(typeof value === 'string', 'XmlDocument', value);
    super(value);
  }
}

/** <SBK>: System.Management.Automation.ScriptBlock, as its source text. */
export class PSScriptBlock extends TextValue {
  readonly tag = 'SBK' as const;
  constructor(value: string) {
    check(typeof value === 'string', 'ScriptBlock', value);
    super(value);
  }
}

const REDACTED = '[SecureString]';

/**
 * Encrypts and decrypts <SS> contents (MS-PSRP 2.2.5.1.24). The PSRP layer
 * supplies one after the session key exchange (psrp/key-exchange.ts
 * SessionKeyCipher); the CLIXML layer never sees the key.
 */
export interface SecureStringCipher {
  encryptToBase64(plaintext: string): string;
  decryptFromBase64(base64: string): string;
}

/**
 * <SS>: System.Security.SecureString. Holds either the plaintext (made by the
 * caller, or read with the session key) or, when read without a key, the
 * encrypted base64 text, which is written back unchanged. The plaintext is in
 * a private field: it never shows in JSON, util.inspect or the plain view.
 */
export class PSSecureString {
  readonly tag = 'SS' as const;
  /** Base64 AES ciphertext as received, when it could not be decrypted here. */
  readonly encrypted: string | undefined;
  readonly #plain: string | undefined;

  private constructor(plain: string | undefined, encrypted: string | undefined) {
    this.#plain = plain;
    this.encrypted = encrypted;
  }

  static fromPlaintext(plain: string): PSSecureString {
    check(typeof plain === 'string', 'SecureString', typeof plain);
    return new PSSecureString(plain, undefined);
  }

  static fromEncrypted(base64: string): PSSecureString {
    return new PSSecureString(undefined, base64);
  }

  /** The plaintext, or undefined when only ciphertext is held. */
  reveal(): string | undefined {
    return this.#plain;
  }

  get isDecrypted(): boolean {
    return this.#plain !== undefined;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `PSSecureString ${REDACTED}`;
  }
}

/** Every wrapper class of this file, by CLIXML tag. */
export type PSNumberWrapper = PSByte | PSSByte | PSInt16 | PSUInt16 | PSUInt32 | PSInt64 | PSUInt64 | PSSingle | PSDouble | PSDecimal;
export type PSTextWrapper = PSGuid | PSUri | PSVersion | PSXmlDocument | PSScriptBlock;

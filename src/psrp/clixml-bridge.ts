// The one place psrp/ touches CLIXML: messages.ts speaks only this vocabulary,
// mapped here onto the clixml layer's value model (src/clixml, docs/clixml.md).
// The session key cipher is handed down per call; clixml never imports psrp.

import {
  PSGuid,
  PSInt64,
  PSObject,
  PSPropertySet,
  PSSecureString,
  PSVersion,
  parseClixml,
  serializeClixml,
  type PSMember,
  type PSValue as ClixmlValue,
  type PSInput as ClixmlInput,
} from '../clixml/index.js';
import type { SessionKeyCipher } from './key-exchange.js';

/** A CLIXML value as the PSRP core reads it (the clixml value model). */
export type PSValue = ClixmlValue;
/** What the core sends: anything the clixml writer accepts (plain arrays, records, bigint, Date). */
export type PSInput = ClixmlInput;

export type { ClixmlValue, PSMember };

export interface BridgeContext {
  readonly cipher?: SessionKeyCipher | undefined;
}

export function parseValue(xml: string, ctx: BridgeContext, where: string): PSValue {
  return parseClixml(xml, { cipher: ctx.cipher, where });
}

export function serializeValue(value: PSInput, ctx: BridgeContext): string {
  return serializeClixml(value, { cipher: ctx.cipher });
}

/** Extended, then adapted property `name` of an object (exact name); undefined when absent. */
export function getProperty(obj: unknown, name: string): PSMember | undefined {
  if (!(obj instanceof PSObject)) return undefined;
  const e = obj.extended.get(name);
  return e !== undefined ? e : obj.adapted.get(name);
}

/** A nested <MS N="..."> property set: a member, never a value on its own. */
export function isPropertySet(v: unknown): v is PSPropertySet {
  return v instanceof PSPropertySet;
}

function inner(v: unknown): unknown {
  // Enums and extended primitives are objects carrying the value.
  return v instanceof PSObject && v.value !== undefined ? v.value : v;
}

const SMALL_INT_TAGS = new Set(['By', 'SB', 'I16', 'U16', 'U32']);

function tagOf(x: unknown): string | undefined {
  return x !== null && typeof x === 'object' && typeof (x as { tag?: unknown }).tag === 'string' ? (x as { tag: string }).tag : undefined;
}

export function readInt(v: unknown): number | undefined {
  const x = inner(v);
  if (typeof x === 'number') return Number.isInteger(x) ? x : undefined;
  const tag = tagOf(x);
  if (tag === undefined) return undefined;
  if (SMALL_INT_TAGS.has(tag)) return (x as { value: number }).value;
  if (tag === 'I64' || tag === 'U64') {
    const n = Number((x as { value: bigint }).value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

export function readInt64(v: unknown): bigint | undefined {
  const x = inner(v);
  if (typeof x === 'number') return Number.isInteger(x) ? BigInt(x) : undefined;
  const tag = tagOf(x);
  if (tag === 'I64' || tag === 'U64') return (x as { value: bigint }).value;
  if (tag !== undefined && SMALL_INT_TAGS.has(tag)) return BigInt((x as { value: number }).value);
  return undefined;
}

export function readBool(v: unknown): boolean | undefined {
  const x = inner(v);
  return typeof x === 'boolean' ? x : undefined;
}

export function readString(v: unknown): string | undefined {
  const x = inner(v);
  return typeof x === 'string' ? x : undefined;
}

export function readVersion(v: unknown): string | undefined {
  const x = inner(v);
  return x instanceof PSVersion ? x.value : undefined;
}

export function readList(v: unknown): PSValue[] | undefined {
  return v instanceof PSObject && v.list !== undefined ? v.list : undefined;
}

export function readBytes(v: unknown): Uint8Array | undefined {
  const x = inner(v);
  return x instanceof Uint8Array ? x : undefined;
}

export function readGuid(v: unknown): string | undefined {
  const x = inner(v);
  return x instanceof PSGuid ? x.value : undefined;
}

export function toStringOf(v: unknown): string | undefined {
  return v instanceof PSObject ? v.toStringText : undefined;
}

/** An object with extended properties (<MS>) and no type names. */
export function makeObject(props: readonly (readonly [string, PSInput])[]): PSValue {
  // The writer accepts any PSInput as a member value; the object is only ever serialized.
  return new PSObject({ extended: props as readonly (readonly [string, PSMember])[] });
}

export function makeEnum(typeNames: readonly string[], name: string, value: number): PSValue {
  return new PSObject({ typeNames, toStringText: name, value });
}

export function makeList(typeNames: readonly string[], items: readonly PSInput[]): PSValue {
  // As makeObject: the list is only ever serialized, and the writer takes any PSInput.
  return new PSObject({ typeNames, list: [...items] as ClixmlValue[] });
}

export function makeInt64(v: bigint): PSValue {
  return new PSInt64(v);
}

export function makeVersion(v: string): PSValue {
  return new PSVersion(v);
}

export function makeGuid(v: string): PSValue {
  return new PSGuid(v);
}

/** A SecureString value holding `plain` (encrypted with the session key when serialized). */
export function makeSecureString(plain: string): PSValue {
  return PSSecureString.fromPlaintext(plain);
}

/** The plaintext of a SecureString value, if it is one and could be decrypted. */
export function readSecureString(v: unknown): string | undefined {
  const x = inner(v);
  return x instanceof PSSecureString ? x.reveal() : undefined;
}

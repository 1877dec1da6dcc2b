// The one place psrp/ touches a CLIXML implementation, so that swapping it
// touches one file. messages.ts speaks only this vocabulary.
//
// INTERIM: backed by clixml-interim.ts until src/clixml/ lands; then these
// functions map onto src/clixml and clixml-interim.ts is deleted.

import { RemoteProtocolError } from '../errors.js';
import { normalizeGuid } from '../util/guid.js';
import type { SessionKeyCipher } from './key-exchange.js';
import {
  isObj,
  isPrim,
  newObj,
  parseInterim,
  prim,
  serializeInterim,
  type IValue,
} from './clixml-interim.js';

/** A CLIXML value (the clixml layer's value model). */
export type PSValue = unknown;

export interface BridgeContext {
  readonly cipher?: SessionKeyCipher | undefined;
}

export function parseValue(xml: string, ctx: BridgeContext, where: string): PSValue {
  return parseInterim(xml, { cipher: ctx.cipher }, where);
}

export function serializeValue(value: PSValue, ctx: BridgeContext): string {
  return serializeInterim(value as IValue, { cipher: ctx.cipher });
}

/** Extended, then adapted property `name` of an object; undefined when absent. */
export function getProperty(obj: PSValue, name: string): PSValue | undefined {
  if (!isObj(obj)) return undefined;
  if (obj.props.has(name)) return obj.props.get(name);
  if (obj.adapted.has(name)) return obj.adapted.get(name);
  return undefined;
}

function inner(v: PSValue): PSValue {
  // Enums and extended primitives are objects carrying the value.
  return isObj(v) && v.value !== undefined ? v.value : v;
}

export function readInt(v: PSValue): number | undefined {
  const x = inner(v);
  if (typeof x === 'number' && Number.isInteger(x)) return x;
  if (isPrim(x) && /^(I64|U64|U32|I16|U16|By|SB)$/.test(x.tag) && /^[-+]?\d+$/.test(x.text)) {
    const n = Number(x.text);
    if (Number.isSafeInteger(n)) return n;
  }
  return undefined;
}

export function readInt64(v: PSValue): bigint | undefined {
  const x = inner(v);
  if (typeof x === 'number' && Number.isInteger(x)) return BigInt(x);
  if (isPrim(x) && /^(I64|U64|U32|I16|U16|By|SB)$/.test(x.tag) && /^[-+]?\d+$/.test(x.text)) return BigInt(x.text);
  return undefined;
}

export function readBool(v: PSValue): boolean | undefined {
  const x = inner(v);
  return typeof x === 'boolean' ? x : undefined;
}

export function readString(v: PSValue): string | undefined {
  const x = inner(v);
  return typeof x === 'string' ? x : undefined;
}

export function readVersion(v: PSValue): string | undefined {
  const x = inner(v);
  return isPrim(x) && x.tag === 'Version' ? x.text : undefined;
}

export function readList(v: PSValue): PSValue[] | undefined {
  return isObj(v) && v.list !== undefined ? v.list : undefined;
}

export function readBytes(v: PSValue): Uint8Array | undefined {
  const x = inner(v);
  return isPrim(x) && x.tag === 'BA' ? new Uint8Array(Buffer.from(x.text, 'base64')) : undefined;
}

export function readGuid(v: PSValue): string | undefined {
  const x = inner(v);
  if (!isPrim(x) || x.tag !== 'G') return undefined;
  try {
    return normalizeGuid(x.text);
  } catch {
    throw new RemoteProtocolError('PSR_CLIXML_INVALID', `invalid GUID ${JSON.stringify(x.text.slice(0, 60))}`);
  }
}

export function toStringOf(v: PSValue): string | undefined {
  return isObj(v) ? v.toStringText : undefined;
}

/** An object with extended properties (<MS>) and no type names. */
export function makeObject(props: readonly (readonly [string, PSValue])[]): PSValue {
  const o = newObj();
  for (const [k, v] of props) {
    if (v instanceof Uint8Array) o.props.set(k, prim('BA', Buffer.from(v).toString('base64')));
    else o.props.set(k, v as IValue);
  }
  return o;
}

export function makeEnum(typeNames: readonly string[], name: string, value: number): PSValue {
  return newObj({ typeNames: [...typeNames], toStringText: name, value });
}

export function makeList(typeNames: readonly string[], items: readonly PSValue[]): PSValue {
  return newObj({ typeNames: [...typeNames], list: items as IValue[] });
}

export function makeInt64(v: bigint): PSValue {
  return prim('I64', v.toString());
}

export function makeVersion(v: string): PSValue {
  return prim('Version', v);
}

export function makeGuid(v: string): PSValue {
  return prim('G', normalizeGuid(v));
}

/** A SecureString value holding `plain` (encrypted with the session key when serialized). */
export function makeSecureString(plain: string): PSValue {
  return prim('SS', plain);
}

/** The plaintext of a SecureString value, if it is one and could be decrypted. */
export function readSecureString(v: PSValue): string | undefined {
  const x = inner(v);
  return isPrim(x) && x.tag === 'SS' ? x.text : undefined;
}

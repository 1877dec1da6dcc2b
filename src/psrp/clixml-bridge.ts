// The one place psrp/ touches the clixml layer, so that a change of the
// clixml API touches one file. messages.ts speaks only this vocabulary.

import { RemoteProtocolError } from '../errors.js';
import type { SessionKeyCipher } from './key-exchange.js';

export type PSValue = unknown;

export interface BridgeContext {
  readonly cipher?: SessionKeyCipher | undefined;
}

function missing(): never {
  throw new RemoteProtocolError('PSR_CLIXML_INVALID', 'the clixml layer is not available yet');
}

export function parseValue(_xml: string, _ctx: BridgeContext, _where: string): PSValue {
  return missing();
}
export function serializeValue(_value: PSValue, _ctx: BridgeContext): string {
  return missing();
}
export function getProperty(_obj: PSValue, _name: string): PSValue | undefined {
  return missing();
}
export function readInt(_v: PSValue): number | undefined {
  return missing();
}
export function readInt64(_v: PSValue): bigint | undefined {
  return missing();
}
export function readBool(_v: PSValue): boolean | undefined {
  return missing();
}
export function readString(_v: PSValue): string | undefined {
  return missing();
}
export function readVersion(_v: PSValue): string | undefined {
  return missing();
}
export function readList(_v: PSValue): PSValue[] | undefined {
  return missing();
}
export function readBytes(_v: PSValue): Uint8Array | undefined {
  return missing();
}
export function readGuid(_v: PSValue): string | undefined {
  return missing();
}
export function toStringOf(_v: PSValue): string | undefined {
  return missing();
}
export function makeObject(_props: readonly (readonly [string, PSValue])[]): PSValue {
  return missing();
}
export function makeEnum(_typeNames: readonly string[], _name: string, _value: number): PSValue {
  return missing();
}
export function makeList(_typeNames: readonly string[], _items: readonly PSValue[]): PSValue {
  return missing();
}
export function makeInt64(_v: bigint): PSValue {
  return missing();
}
export function makeVersion(_v: string): PSValue {
  return missing();
}
export function makeGuid(_v: string): PSValue {
  return missing();
}

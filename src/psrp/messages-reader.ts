// Shared pieces of the message body codecs (messages-*.ts): the property
// reader whose every failure names the message and the property, and the enum
// helpers that write an enum's name next to its value as PowerShell does.

import { RemoteProtocolError } from '../errors.js';
import * as X from './clixml-bridge.js';
import type { PSValue } from './message-types.js';

export const T_ENUM = ['System.Enum', 'System.ValueType', 'System.Object'];
export const T_APARTMENT_STATE = ['System.Threading.ApartmentState', ...T_ENUM];
export const APARTMENT_STATE = ['STA', 'MTA', 'Unknown'];

export function enumName(names: readonly string[], v: number): string {
  return names[v] ?? String(v);
}

export function flagsName(flags: readonly [number, string][], v: number, zero: string): string {
  if (v === 0) return zero;
  const exact = flags.find(([f]) => f === v);
  if (exact !== undefined) return exact[1];
  const parts = flags.filter(([f]) => f !== 0 && (v & f) === f && (f & (f - 1)) === 0).map(([, n]) => n);
  return parts.length > 0 ? parts.join(', ') : String(v);
}

/**
 * RUNSPACEPOOL_STATE (2.2.2.9) and PIPELINE_STATE (2.2.2.21) are one shape:
 * the state under its own property name, and the ErrorRecord that caused it.
 */
export type StateProperty = 'RunspaceState' | 'PipelineState';

export function stateToValue(property: StateProperty, x: { readonly state: number; readonly error?: PSValue | undefined }): PSValue {
  const props: [string, PSValue][] = [[property, x.state]];
  if (x.error !== undefined) props.push(['ExceptionAsErrorRecord', x.error]);
  return X.makeObject(props);
}

export function stateFromValue(r: Reader, property: StateProperty): { state: number; error?: PSValue } {
  return { state: r.int(property), ...(r.has('ExceptionAsErrorRecord') ? { error: r.raw('ExceptionAsErrorRecord') } : {}) };
}

export class Reader {
  constructor(
    readonly root: PSValue,
    readonly where: string,
  ) {}

  fail(message: string): RemoteProtocolError {
    return new RemoteProtocolError('PSR_PSRP_MESSAGE_INVALID', message, { where: this.where });
  }

  has(name: string, from: unknown = this.root): boolean {
    return X.getProperty(from, name) !== undefined;
  }

  raw(name: string, from: unknown = this.root): PSValue {
    const v = this.opt(name, from);
    if (v === undefined) throw this.fail(`property ${name} is missing`);
    return v;
  }

  opt(name: string, from: unknown = this.root): PSValue | undefined {
    const v = X.getProperty(from, name);
    if (X.isPropertySet(v)) throw this.fail(`property ${name} is a property set, not a value`);
    return v;
  }

  int(name: string, from: unknown = this.root): number {
    const v = X.readInt(this.raw(name, from));
    if (v === undefined) throw this.fail(`property ${name} is not an integer`);
    return v;
  }

  long(name: string, from: unknown = this.root): bigint {
    const v = X.readInt64(this.raw(name, from));
    if (v === undefined) throw this.fail(`property ${name} is not an integer`);
    return v;
  }

  bool(name: string, from: unknown = this.root): boolean {
    const v = X.readBool(this.raw(name, from));
    if (v === undefined) throw this.fail(`property ${name} is not a boolean`);
    return v;
  }

  boolOr(name: string, dflt: boolean, from: unknown = this.root): boolean {
    return this.has(name, from) ? this.bool(name, from) : dflt;
  }

  str(name: string, from: unknown = this.root): string {
    const v = X.readString(this.raw(name, from));
    if (v === undefined) throw this.fail(`property ${name} is not a string`);
    return v;
  }

  strOrNull(name: string, from: unknown = this.root): string | null {
    const v = this.opt(name, from);
    if (v === undefined || v === null) return null;
    const s = X.readString(v);
    if (s === undefined) throw this.fail(`property ${name} is not a string`);
    return s;
  }

  version(name: string): string {
    const v = X.readVersion(this.raw(name));
    if (v === undefined) throw this.fail(`property ${name} is not a version`);
    return v;
  }

  list(name: string, from: unknown = this.root): PSValue[] | null {
    const v = this.opt(name, from);
    if (v === undefined || v === null) return null;
    const l = X.readList(v);
    if (l === undefined) throw this.fail(`property ${name} is not a list`);
    return l;
  }
}

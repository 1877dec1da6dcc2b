// The small structures every Kerberos message is built from (RFC 4120 5.2):
// PrincipalName, EncryptedData, EncryptionKey, Checksum, HostAddress,
// AuthorizationData, PA-DATA.

import { isSupportedEnctype, type KerberosKey } from '../crypto/index.js';
import { AuthProtocolError } from '../../errors.js';
import { ctx, encInteger, encOctets, encSeq, encString, intField, octetsField, optional, sequenceOf, struct, type DerReader } from './der.js';
import { readString } from './der.js';

export interface PrincipalName {
  readonly nameType: number;
  readonly components: readonly string[];
}

export interface EncryptedData {
  readonly etype: number;
  readonly kvno?: number;
  readonly cipher: Uint8Array;
}

/** An EncryptionKey whose keytype psremote may or may not support. */
export interface EncryptionKey {
  readonly keytype: number;
  readonly keyvalue: Uint8Array;
}

export interface Checksum {
  readonly cksumtype: number;
  readonly checksum: Uint8Array;
}

export interface HostAddress {
  readonly addrType: number;
  readonly address: Uint8Array;
}

export interface AuthorizationDataEntry {
  readonly adType: number;
  readonly adData: Uint8Array;
}

export interface PaData {
  readonly type: number;
  readonly value: Uint8Array;
}

// ---- decoders: each reads the SEQUENCE that is the next value of `r`

export function decodePrincipalName(r: DerReader, what: string): PrincipalName {
  return struct(r, what, (s) => ({
    nameType: intField(s, 0, `${what}.name-type`),
    components: sequenceOf(s, 1, `${what}.name-string`, readString, 16),
  }));
}

export function decodeEncryptedData(r: DerReader, what: string): EncryptedData {
  return struct(r, what, (s) => {
    const etype = intField(s, 0, `${what}.etype`);
    const kvno = optional(s, 1, (s2, n) => intField(s2, n, `${what}.kvno`));
    const cipher = octetsField(s, 2, `${what}.cipher`);
    return kvno === undefined ? { etype, cipher } : { etype, kvno, cipher };
  });
}

export function decodeEncryptionKey(r: DerReader, what: string): EncryptionKey {
  return struct(r, what, (s) => ({ keytype: intField(s, 0, `${what}.keytype`), keyvalue: octetsField(s, 1, `${what}.keyvalue`) }));
}

export function decodeChecksum(r: DerReader, what: string): Checksum {
  return struct(r, what, (s) => ({ cksumtype: intField(s, 0, `${what}.cksumtype`), checksum: octetsField(s, 1, `${what}.checksum`) }));
}

export function decodeHostAddress(r: DerReader, what: string): HostAddress {
  return struct(r, what, (s) => ({ addrType: intField(s, 0, `${what}.addr-type`), address: octetsField(s, 1, `${what}.address`) }));
}

export function decodeAuthorizationDataEntry(r: DerReader, what: string): AuthorizationDataEntry {
  return struct(r, what, (s) => ({ adType: intField(s, 0, `${what}.ad-type`), adData: octetsField(s, 1, `${what}.ad-data`) }));
}

export function decodePaData(r: DerReader, what: string): PaData {
  return struct(r, what, (s) => ({ type: intField(s, 1, `${what}.padata-type`), value: octetsField(s, 2, `${what}.padata-value`) }));
}

/** A key from the wire as a KerberosKey; an enctype psremote cannot use is an error naming it. */
export function toKerberosKey(k: EncryptionKey, what: string): KerberosKey {
  if (!isSupportedEnctype(k.keytype)) throw new AuthProtocolError(`${what}: key of enctype ${k.keytype}, which psremote does not support`);
  const want = k.keytype === 18 ? 32 : 16;
  if (k.keyvalue.byteLength !== want) throw new AuthProtocolError(`${what}: a key of enctype ${k.keytype} must be ${want} bytes, not ${k.keyvalue.byteLength}`);
  return { enctype: k.keytype, value: k.keyvalue.slice() };
}

// ---- encoders

export const encodePrincipalName = (p: PrincipalName): Uint8Array =>
  encSeq(ctx(0, encInteger(p.nameType)), ctx(1, encSeq(...p.components.map(encString))));

export const encodeEncryptedData = (e: EncryptedData): Uint8Array =>
  encSeq(ctx(0, encInteger(e.etype)), e.kvno === undefined ? undefined : ctx(1, encInteger(e.kvno)), ctx(2, encOctets(e.cipher)));

export const encodeEncryptionKey = (k: KerberosKey | EncryptionKey): Uint8Array =>
  'enctype' in k ? encSeq(ctx(0, encInteger(k.enctype)), ctx(1, encOctets(k.value))) : encSeq(ctx(0, encInteger(k.keytype)), ctx(1, encOctets(k.keyvalue)));

export const encodeChecksum = (c: Checksum): Uint8Array => encSeq(ctx(0, encInteger(c.cksumtype)), ctx(1, encOctets(c.checksum)));

export const encodeHostAddress = (a: HostAddress): Uint8Array => encSeq(ctx(0, encInteger(a.addrType)), ctx(1, encOctets(a.address)));

export const encodeAuthorizationDataEntry = (a: AuthorizationDataEntry): Uint8Array => encSeq(ctx(0, encInteger(a.adType)), ctx(1, encOctets(a.adData)));

export const encodePaData = (p: PaData): Uint8Array => encSeq(ctx(1, encInteger(p.type)), ctx(2, encOctets(p.value)));

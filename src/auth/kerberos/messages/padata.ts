// Pre-authentication data (RFC 4120 5.2.7): PA-ENC-TIMESTAMP, which proves
// the client knows its key, and PA-ETYPE-INFO2, where the KDC says which
// enctypes, salts and iteration counts the client's keys have; METHOD-DATA
// is how a KRB-ERROR's e-data carries them after PREAUTH_REQUIRED.

import { encrypt, type KerberosKey } from '../crypto/index.js';
import { decodePaData, encodeEncryptedData, type PaData } from './common.js';
import { KU_PA_ENC_TIMESTAMP } from './constants.js';
import { ctx, encInteger, encOctets, encString, encSeq, encTime, intField, messageReader, messageSequenceOf, octetsField, optional, present, stringField, struct, timeField } from './der.js';

export interface EtypeInfo2Entry {
  readonly etype: number;
  readonly salt?: string;
  readonly s2kparams?: Uint8Array;
}

/** ETYPE-INFO2 ::= SEQUENCE SIZE (1..MAX) OF ETYPE-INFO2-ENTRY */
export function decodeEtypeInfo2(der: Uint8Array): EtypeInfo2Entry[] {
  return messageSequenceOf(
    der,
    'PA-ETYPE-INFO2',
    (s, what) =>
      struct(s, what, (e) => {
        const etype = intField(e, 0, `${what}.etype`);
        const salt = optional(e, 1, (x, n) => stringField(x, n, `${what}.salt`));
        const s2kparams = optional(e, 2, (x, n) => octetsField(x, n, `${what}.s2kparams`));
        return present({ etype, salt, s2kparams });
      }),
    32,
  );
}

export function encodeEtypeInfo2(entries: readonly EtypeInfo2Entry[]): Uint8Array {
  return encSeq(
    ...entries.map((e) =>
      encSeq(ctx(0, encInteger(e.etype)), e.salt === undefined ? undefined : ctx(1, encString(e.salt)), e.s2kparams && ctx(2, encOctets(e.s2kparams))),
    ),
  );
}

/** METHOD-DATA ::= SEQUENCE OF PA-DATA (a KRB-ERROR's e-data after PREAUTH_REQUIRED). */
export function decodeMethodData(der: Uint8Array): PaData[] {
  return messageSequenceOf(der, 'METHOD-DATA', decodePaData, 64);
}

/** PA-ENC-TS-ENC ::= SEQUENCE { patimestamp [0] KerberosTime, pausec [1] Microseconds OPTIONAL } */
export function encodePaEncTsEnc(now: Date): Uint8Array {
  const ms = now.getTime();
  return encSeq(ctx(0, encTime(new Date(ms - (ms % 1000)))), ctx(1, encInteger((ms % 1000) * 1000)));
}

export function decodePaEncTsEnc(der: Uint8Array): { timestamp: Date; usec?: number } {
  const r = messageReader(der, 'PA-ENC-TS-ENC');
  const v = struct(r, 'PA-ENC-TS-ENC', (s) => {
    const timestamp = timeField(s, 0, 'PA-ENC-TS-ENC.patimestamp');
    const usec = optional(s, 1, (x, n) => intField(x, n, 'PA-ENC-TS-ENC.pausec'));
    return usec === undefined ? { timestamp } : { timestamp, usec };
  });
  r.end('PA-ENC-TS-ENC');
  return v;
}

/** The PA-ENC-TIMESTAMP padata value: EncryptedData of PA-ENC-TS-ENC under the client's key (usage 1). */
export function buildPaEncTimestamp(key: KerberosKey, now: Date, kvno?: number): Uint8Array {
  return encodeEncryptedData({ etype: key.enctype, ...(kvno !== undefined && { kvno }), cipher: encrypt(key, KU_PA_ENC_TIMESTAMP, encodePaEncTsEnc(now)) });
}

/** KERB-PA-PAC-REQUEST (MS-KILE 2.2.3): ask an AD KDC to include (or leave out) the PAC. */
export function encodePacRequest(include: boolean): Uint8Array {
  return encSeq(ctx(0, Uint8Array.of(0x01, 0x01, include ? 0xff : 0x00)));
}

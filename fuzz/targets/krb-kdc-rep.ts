// Fuzz target: what a KDC (or anyone on the path) sends back: AS-REP, TGS-REP,
// KRB-ERROR with its METHOD-DATA / ETYPE-INFO2, and a decrypted EncKDCRepPart.
import { PsRemoteError } from '../../src/errors.js';
import { decodeEncKdcRepPart, decodeEtypeInfo2, decodeKdcRep, decodeKrbError, decodeMethodData } from '../../src/auth/kerberos/messages/index.js';
import { recorded, seedAsRep, seedEtypeInfo2, seedKrbError } from './krb-seeds.js';

const parsers: ((b: Uint8Array) => unknown)[] = [
  (b) => decodeKdcRep(b, 11),
  (b) => decodeKdcRep(b, 13),
  decodeKrbError,
  decodeMethodData,
  decodeEtypeInfo2,
  decodeEncKdcRepPart,
];

export default {
  name: 'krb-kdc-rep',
  seeds: (): Uint8Array[] => [seedAsRep(), seedKrbError(), seedEtypeInfo2(), ...recorded('reply')],
  run(input: Uint8Array): void {
    for (const parse of parsers) {
      try {
        parse(input);
      } catch (e) {
        if (!(e instanceof PsRemoteError)) throw e;
      }
    }
  },
};

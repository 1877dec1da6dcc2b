// Fuzz target: AP-REQ, Authenticator and KDC-REQ decoding (an acceptor's input).
import { PsRemoteError } from '../../src/errors.js';
import { decodeApReq, decodeAuthenticator, decodeKdcReq } from '../../src/auth/kerberos/messages/index.js';
import { recorded, seedApReq, seedAsReq, seedAuthenticator } from './krb-seeds.js';

export default {
  name: 'krb-ap-req',
  seeds: (): Uint8Array[] => [seedApReq(), seedAuthenticator(), seedAsReq(), ...recorded('request')],
  run(input: Uint8Array): void {
    for (const parse of [decodeApReq, decodeAuthenticator, decodeKdcReq]) {
      try {
        parse(input);
      } catch (e) {
        if (!(e instanceof PsRemoteError)) throw e;
      }
    }
  },
};

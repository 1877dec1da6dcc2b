// auth/credssp: TSRequest, TSCredentials, TSPasswordCreds DER, the
// CredSSP-encrypted body framing cut by TLS record headers, and the
// acceptor's first leg (the choice of NTLM or Kerberos inside, inner.ts).
import type { FuzzTarget } from '../engine.js';
import { pyspnego } from '../seeds.js';
import { PsRemoteError } from '../../src/errors.js';
import { parseCredSspBody } from '../../src/auth/credssp/encryption.js';
import { decodeTSCredentials, decodeTSPasswordCreds, decodeTSRequest, encodeTSRequest } from '../../src/auth/credssp/ts-request.js';
import { CredSspAcceptor } from '../../src/auth/credssp/context.js';
import { KerberosAcceptor, ReplayCache } from '../../src/auth/kerberos/gss/acceptor.js';
import { NtlmAcceptor } from '../../src/auth/ntlm/acceptor.js';
import { encodeNegTokenInit, OID_KRB5, OID_MS_KRB5, OID_NTLM } from '../../src/auth/spnego/tokens.js';

const tsRequest = (mechTypes: string[], mechToken: Uint8Array) => encodeTSRequest({ version: 6, negoTokens: [encodeNegTokenInit({ mechTypes, mechToken })] });
const replayCache = new ReplayCache();
const serviceKey = { principal: { realm: 'FUZZ.TEST', components: ['HTTP', 'fuzz.test'] }, kvno: 1, key: { enctype: 18 as const, value: new Uint8Array(32) } };
const acceptor = () =>
  new CredSspAcceptor({
    ntlm: new NtlmAcceptor({ lookup: () => new Uint8Array(16), requireSealing: true }),
    kerberos: new KerberosAcceptor({ keys: [serviceKey], now: () => new Date(0), replayCache }),
    publicKey: new Uint8Array(16),
  });

const framed = new Uint8Array(
  Buffer.concat([
    Buffer.from('--Encrypted Boundary\r\n\tContent-Type: application/HTTP-CredSSP-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=3\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n', 'latin1'),
    Buffer.from([16, 0, 0, 0, 0x17, 3, 3, 0, 4, 1, 2, 3, 4]),
    Buffer.from('--Encrypted Boundary--\r\n', 'latin1'),
  ]),
);

export default {
  name: 'credssp',
  // A TSRequest around each SPNEGO seed: the acceptor's first leg with NTLM and Kerberos offers.
  seeds: () => [
    ...pyspnego('credssp_'),
    framed,
    ...pyspnego('initial_context_token_krb_ap_req').map((t) => tsRequest([OID_MS_KRB5, OID_KRB5], t)),
    ...pyspnego('ntlm_negotiate').map((t) => tsRequest([OID_NTLM], t)),
  ],
  dictionary: [new Uint8Array([0xa0, 0x03, 0x02, 0x01, 0x06]), new Uint8Array([0x17, 0x03, 0x03]), new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])],
  run(input) {
    for (const decode of [decodeTSRequest, decodeTSCredentials, decodeTSPasswordCreds, parseCredSspBody, (b: Uint8Array) => acceptor().step(b)]) {
      try {
        decode(input);
      } catch (e) {
        if (!(e instanceof PsRemoteError)) throw e;
      }
    }
  },
} satisfies FuzzTarget;

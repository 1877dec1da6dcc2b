// auth/credssp: TSRequest, TSCredentials, TSPasswordCreds DER, and the
// CredSSP-encrypted body framing cut by TLS record headers.
import type { FuzzTarget } from '../engine.js';
import { pyspnego } from '../seeds.js';
import { PsRemoteError } from '../../src/errors.js';
import { parseCredSspBody } from '../../src/auth/credssp/encryption.js';
import { decodeTSCredentials, decodeTSPasswordCreds, decodeTSRequest } from '../../src/auth/credssp/ts-request.js';

const framed = new Uint8Array(
  Buffer.concat([
    Buffer.from('--Encrypted Boundary\r\n\tContent-Type: application/HTTP-CredSSP-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=3\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n', 'latin1'),
    Buffer.from([16, 0, 0, 0, 0x17, 3, 3, 0, 4, 1, 2, 3, 4]),
    Buffer.from('--Encrypted Boundary--\r\n', 'latin1'),
  ]),
);

export default {
  name: 'credssp',
  seeds: () => [...pyspnego('credssp_'), framed],
  dictionary: [new Uint8Array([0xa0, 0x03, 0x02, 0x01, 0x06]), new Uint8Array([0x17, 0x03, 0x03]), new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])],
  run(input) {
    for (const decode of [decodeTSRequest, decodeTSCredentials, decodeTSPasswordCreds, parseCredSspBody]) {
      try {
        decode(input);
      } catch (e) {
        if (!(e instanceof PsRemoteError)) throw e;
      }
    }
  },
} satisfies FuzzTarget;

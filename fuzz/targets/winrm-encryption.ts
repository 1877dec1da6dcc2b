// auth/winrm-encryption: the multipart/encrypted framing of NTLM/Kerberos/CredSSP
// sealed bodies (a server's response when message encryption is on). No
// recording holds one in the clear, so the seeds are built by our own framer
// around real response envelopes, with a stand-in sealer (16-byte signature,
// identity seal) so that unwrapping runs too.
import type { FuzzTarget } from '../engine.js';
import { responses } from '../seeds.js';
import { buildEncryptedBody, parseEncryptedBody, unwrapEncryptedBody, type MessageSealer } from '../../src/auth/winrm-encryption.js';
import { AuthIntegrityError } from '../../src/auth/errors.js';

const sealer: MessageSealer = {
  wrap: (m) => ({ signature: new Uint8Array(16).fill(1), sealed: Uint8Array.from(m) }),
  unwrap: (sealed, signature) => {
    if (signature.length !== 16) throw new AuthIntegrityError('bad signature length');
    return sealed;
  },
};

export default {
  name: 'winrm-encryption',
  seeds: () =>
    responses()
      .slice(0, 40)
      .flatMap((r, i) => [buildEncryptedBody(r, sealer).body, buildEncryptedBody(r, sealer, { chunkSize: 700 + i * 13 }).body]),
  dictionary: ['--Encrypted Boundary\r\n', '--Encrypted Boundary--\r\n', '\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n', '\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=', 'Content-Type: application/octet-stream\r\n'],
  run(input) {
    parseEncryptedBody(input);
    unwrapEncryptedBody(input, sealer);
  },
} satisfies FuzzTarget;

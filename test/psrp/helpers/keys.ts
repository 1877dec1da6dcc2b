// The fixed RSA key pypsrp used for its recordings (so they can be decrypted),
// from fixtures/upstream/derived/psrp-session-key-vectors.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, type KeyObject } from 'node:crypto';

export const SESSION_KEY_VECTORS = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../fixtures/upstream/derived/psrp-session-key-vectors.json'), 'utf8'),
) as {
  rsa_private_key: Record<'n' | 'e' | 'd' | 'p' | 'q' | 'dmp1' | 'dmq1' | 'iqmp', string>;
  public_key_message: { PublicKey_base64: string };
  encrypted_session_key_message: { EncryptedSessionKey_base64: string };
  aes_256_session_key_hex: string;
  securestrings: { ss_base64: string; plaintext: string; direction: string; psrp_message: string }[];
  recording: { path: string };
};

function b64u(dec: string): string {
  let hex = BigInt(dec).toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex').toString('base64url');
}

export function fixtureKey(): KeyObject {
  const k = SESSION_KEY_VECTORS.rsa_private_key;
  return createPrivateKey({
    format: 'jwk',
    key: { kty: 'RSA', n: b64u(k.n), e: b64u(k.e), d: b64u(k.d), p: b64u(k.p), q: b64u(k.q), dp: b64u(k.dmp1), dq: b64u(k.dmq1), qi: b64u(k.iqmp) },
  });
}

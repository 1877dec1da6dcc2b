// The server public key that CredSSP binds to the outer TLS channel
// (MS-CSSP 3.1.5): the subjectPublicKey BIT STRING contents (without the
// unused-bits byte) of the certificate's SubjectPublicKeyInfo, and the two
// ways of proving it. Version 5 and later: SHA-256 over a fixed label, the
// client's nonce and the key (the CVE-2018-0886 fix); earlier versions: the
// key itself, answered by the server with its first byte incremented.

import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthIntegrityError, AuthProtocolError } from '../errors.js';
import { context, DerReader, TAG_BIT_STRING, TAG_INTEGER, TAG_SEQUENCE } from '../spnego/der.js';

const CLIENT_TO_SERVER = 'CredSSP Client-To-Server Binding Hash\0';
const SERVER_TO_CLIENT = 'CredSSP Server-To-Client Binding Hash\0';

/** The subjectPublicKey of an X.509 certificate in DER (RFC 5280 4.1). */
export function subjectPublicKey(certificateDer: Uint8Array): Uint8Array {
  const r = new DerReader(certificateDer, 'TLS certificate', { maxBytes: 64 * 1024 });
  const cert = r.enter(r.expect(TAG_SEQUENCE, 'Certificate'), 'Certificate');
  const tbs = cert.enter(cert.expect(TAG_SEQUENCE, 'tbsCertificate'), 'tbsCertificate');
  if (tbs.peekTag() === context(0)) tbs.next('version');
  tbs.expect(TAG_INTEGER, 'serialNumber');
  tbs.expect(TAG_SEQUENCE, 'signature');
  tbs.expect(TAG_SEQUENCE, 'issuer');
  tbs.expect(TAG_SEQUENCE, 'validity');
  tbs.expect(TAG_SEQUENCE, 'subject');
  const spki = tbs.enter(tbs.expect(TAG_SEQUENCE, 'subjectPublicKeyInfo'), 'subjectPublicKeyInfo');
  spki.expect(TAG_SEQUENCE, 'algorithm');
  const bits = spki.expect(TAG_BIT_STRING, 'subjectPublicKey').value;
  if (bits.byteLength < 2 || bits[0] !== 0) throw new AuthProtocolError('subjectPublicKey is not a whole number of bytes', 'TLS certificate');
  return bits.slice(1);
}

export type BindingDirection = 'client-to-server' | 'server-to-client';

/** What goes (encrypted) into pubKeyAuth for `version`. */
export function bindingValue(direction: BindingDirection, version: number, publicKey: Uint8Array, clientNonce: Uint8Array | undefined): Uint8Array {
  if (version >= 5) {
    if (!clientNonce) throw new AuthProtocolError(`CredSSP version ${version} needs a clientNonce for the public-key binding`, 'CredSSP');
    const label = direction === 'client-to-server' ? CLIENT_TO_SERVER : SERVER_TO_CLIENT;
    return new Uint8Array(createHash('sha256').update(label, 'latin1').update(clientNonce).update(publicKey).digest());
  }
  if (direction === 'client-to-server') return publicKey.slice();
  const echoed = publicKey.slice();
  echoed[0] = (echoed[0]! + 1) & 0xff;
  return echoed;
}

/** Compares in constant time; a different value means another TLS endpoint (a man in the middle) or tampering. */
export function verifyBinding(direction: BindingDirection, version: number, publicKey: Uint8Array, clientNonce: Uint8Array | undefined, got: Uint8Array): void {
  const want = bindingValue(direction, version, publicKey, clientNonce);
  if (got.byteLength !== want.byteLength || !timingSafeEqual(got, want)) {
    const who = direction === 'client-to-server' ? "the client's" : "the server's";
    throw new AuthIntegrityError(`CredSSP public-key binding does not match: ${who} pubKeyAuth is not for this TLS channel's certificate (a man in the middle, or tampering)`);
  }
}

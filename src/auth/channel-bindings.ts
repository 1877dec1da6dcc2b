// Channel bindings for authentication over TLS (RFC 5929 `tls-server-end-point`,
// carried in a gss_channel_bindings_struct, RFC 2744 3.11): the hash of the
// server's certificate, so a man in the middle with another certificate cannot
// relay the authentication. WinRM hosts with CbtHardeningLevel=Strict require
// it. Shared by the NTLM initiator (client) and acceptor (server).
//
// The hash algorithm is the one the certificate is signed with, except that
// MD5 and SHA-1 become SHA-256 (RFC 5929 4.1); for algorithms without a single
// hash (Ed25519, unknown OIDs) we use SHA-256 as pyspnego and Windows do. Node
// 20's X509Certificate has no signatureAlgorithm, so the OID is read from the
// DER here (Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signature }).

import { createHash } from 'node:crypto';
import { ByteReader, concatBytes } from '../util/bytes.js';
import { AuthProtocolError, tokenReader } from './errors.js';

const HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption → SHA-256
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption → SHA-256
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1 → SHA-256
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha256', // dsa-with-sha1 → SHA-256
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
};

const where = 'server certificate';

function tlv(r: ByteReader): { tag: number; value: Uint8Array } {
  const tag = r.u8('DER tag');
  let len = r.u8('DER length');
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new AuthProtocolError(`unsupported DER length form (${n} length bytes)`, where);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + r.u8('DER length');
  }
  return { tag, value: r.bytesView(len, `DER value of tag 0x${tag.toString(16)}`) };
}

function oidString(b: Uint8Array): string {
  if (b.byteLength === 0) throw new AuthProtocolError('empty OID', where);
  const parts: number[] = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.byteLength; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** The OID of the certificate's signatureAlgorithm. */
export function certificateSignatureOid(der: Uint8Array): string {
  const outer = tlv(tokenReader(der, where));
  if (outer.tag !== 0x30) throw new AuthProtocolError('not a DER certificate (no outer SEQUENCE)', where);
  const r = tokenReader(outer.value, where);
  const tbs = tlv(r);
  if (tbs.tag !== 0x30) throw new AuthProtocolError('tbsCertificate is not a SEQUENCE', where);
  const alg = tlv(r);
  if (alg.tag !== 0x30) throw new AuthProtocolError('signatureAlgorithm is not a SEQUENCE', where);
  const oid = tlv(tokenReader(alg.value, where));
  if (oid.tag !== 0x06) throw new AuthProtocolError('signatureAlgorithm has no OID', where);
  return oidString(oid.value);
}

/** The hash name tls-server-end-point uses for this certificate. */
export function endPointHashAlgorithm(der: Uint8Array): string {
  return HASH_BY_OID[certificateSignatureOid(der)] ?? 'sha256';
}

/** RFC 5929 `tls-server-end-point` application data: the prefix and the certificate hash. */
export function tlsServerEndPoint(certificateDer: Uint8Array): Uint8Array {
  const hash = createHash(endPointHashAlgorithm(certificateDer)).update(certificateDer).digest();
  return concatBytes([new Uint8Array(Buffer.from('tls-server-end-point:', 'ascii')), new Uint8Array(hash)]);
}

/**
 * The gss_channel_bindings_struct as MS-NLMP hashes it: initiator and acceptor
 * address types and lengths all zero, then the application data with its
 * 32-bit little-endian length.
 */
export function gssChannelBindings(applicationData: Uint8Array): Uint8Array {
  const head = new Uint8Array(20);
  new DataView(head.buffer).setUint32(16, applicationData.byteLength, true);
  return concatBytes([head, applicationData]);
}

/** The unhashed channel bindings for a TLS server certificate (what both peers feed to MD5). */
export function certificateChannelBindings(certificateDer: Uint8Array): Uint8Array {
  return gssChannelBindings(tlsServerEndPoint(certificateDer));
}

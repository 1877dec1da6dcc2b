// WinRM message encryption with the CredSSP inner TLS session (MS-WSMV
// 2.2.9.1, protocol `application/HTTP-CredSSP-session-encrypted`). The same
// multipart framing as NTLM's, with two differences taken from what pywinrm
// sends to Windows (no Windows recording of it exists in the fixtures):
// - the body is cut into pieces of at most 16 KiB, one TLS record each (TLS's
//   largest plaintext), and more than one piece makes it
//   `multipart/x-multi-encrypted`;
// - the data section is `<u32 LE trailer length><the whole TLS record>`, the
//   trailer length being what follows the plaintext in the record for the
//   cipher (16 for AES-GCM; MAC plus padding for CBC suites).
// Sans-I/O: the caller encrypts each piece with the TLS session (an async
// operation on node:tls) and passes the records in.

import { AuthProtocolError } from '../errors.js';
import { concatBytes } from '../../util/bytes.js';
import { encryptedContentType, ENCRYPTED_BOUNDARY, parseEncryptedBody, type EncryptionLimits } from '../winrm-encryption.js';

export const CREDSSP_ENCRYPTED = 'application/HTTP-CredSSP-session-encrypted';
/** The largest plaintext of one TLS record, and so of one encrypted part. */
export const CREDSSP_CHUNK = 16 * 1024;

const TLS_APPLICATION_DATA = 0x17;

/** The bytes after the plaintext in a TLS 1.2 record for `cipher` (pywinrm's `_get_credssp_trailer_length`). */
export function trailerLength(cipher: string, plainLength: number): number {
  if (/GCM|CHACHA20/i.test(cipher)) return 16;
  const hash = /SHA384$/i.test(cipher) ? 48 : /SHA256$/i.test(cipher) ? 32 : /SHA$/i.test(cipher) ? 20 : /MD5$/i.test(cipher) ? 16 : 0;
  const prePad = plainLength + hash;
  const pad = /RC4/i.test(cipher) ? 0 : /DES/i.test(cipher) ? 8 - (prePad % 8) : 16 - (prePad % 16);
  return prePad + pad - plainLength;
}

/** Splits a body into the pieces to encrypt one by one (at least one, possibly empty). */
export function credSspPieces(plain: Uint8Array, chunk = CREDSSP_CHUNK): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; out.length === 0 || at < plain.byteLength; at += chunk) out.push(plain.subarray(at, Math.min(at + chunk, plain.byteLength)));
  return out;
}

export interface CredSspEncryptedPiece {
  readonly plainLength: number;
  /** The TLS record(s) that encrypt it. */
  readonly records: Uint8Array;
}

/** Frames encrypted pieces; the content type names multi-encrypted when there is more than one. */
export function buildCredSspBody(pieces: readonly CredSspEncryptedPiece[], cipher: string, charset = 'UTF-8'): { body: Uint8Array; contentType: string } {
  const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  const parts: Uint8Array[] = [];
  for (const p of pieces) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, trailerLength(cipher, p.plainLength), true);
    parts.push(
      enc(
        `--${ENCRYPTED_BOUNDARY}\r\n\tContent-Type: ${CREDSSP_ENCRYPTED}\r\n\tOriginalContent: type=application/soap+xml;charset=${charset};Length=${p.plainLength}\r\n` +
          `--${ENCRYPTED_BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n`,
      ),
      len,
      p.records,
    );
  }
  parts.push(enc(`--${ENCRYPTED_BOUNDARY}--\r\n`));
  return { body: concatBytes(parts), contentType: encryptedContentType(CREDSSP_ENCRYPTED, pieces.length > 1) };
}

/** How many bytes of `rest` are whole TLS application-data records covering `plainLength` bytes at most. */
function recordsLength(rest: Uint8Array, plainLength: number): number {
  let at = 0;
  // A piece may in principle span records; never more than one per 16 KiB plus one.
  const maxRecords = Math.floor(plainLength / CREDSSP_CHUNK) + 1;
  for (let n = 0; n < maxRecords; n++) {
    if (rest.byteLength - at < 5) throw new AuthProtocolError(`a CredSSP encrypted part ends inside a TLS record header at offset ${at}`, 'encrypted body');
    if (rest[at] !== TLS_APPLICATION_DATA || rest[at + 1] !== 3) throw new AuthProtocolError(`a CredSSP encrypted part holds no TLS application-data record at offset ${at} (type 0x${rest[at]!.toString(16)})`, 'encrypted body');
    const len = (rest[at + 3]! << 8) | rest[at + 4]!;
    if (len > CREDSSP_CHUNK + 2048) throw new AuthProtocolError(`a TLS record of ${len} bytes is longer than TLS allows`, 'encrypted body');
    if (rest.byteLength - at < 5 + len) throw new AuthProtocolError(`a TLS record of ${len} bytes runs past the end of the body`, 'encrypted body');
    at += 5 + len;
    if (at >= rest.byteLength || rest[at] !== TLS_APPLICATION_DATA) break;
  }
  return at;
}

/** The pieces of a CredSSP-encrypted body, each with its TLS records, for the caller to decrypt in order. */
export function parseCredSspBody(body: Uint8Array, limits: Omit<EncryptionLimits, 'dataLength'> = {}): CredSspEncryptedPiece[] {
  const parts = parseEncryptedBody(body, { ...limits, dataLength: recordsLength });
  return parts.map((p) => {
    if (p.protocol.toLowerCase() !== CREDSSP_ENCRYPTED.toLowerCase()) throw new AuthProtocolError(`an encrypted part uses ${p.protocol}, expected ${CREDSSP_ENCRYPTED}`, 'encrypted body');
    return { plainLength: p.length, records: p.sealed };
  });
}

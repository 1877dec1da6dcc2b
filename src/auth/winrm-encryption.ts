// WinRM message encryption over HTTP (MS-WSMV 2.2.9.1): the sealed SOAP body
// travels in a MIME-like multipart body with the fixed boundary
// "Encrypted Boundary". Each encrypted part is a metadata section
//
//   --Encrypted Boundary\r\n
//   \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
//
// and a data section
//
//   --Encrypted Boundary\r\n
//   \tContent-Type: application/octet-stream\r\n
//   <u32 LE signature length><signature><N sealed bytes>
//
// and the body ends with "--Encrypted Boundary--\r\n". `multipart/encrypted`
// has one part; `multipart/x-multi-encrypted` (large bodies) several, each
// sealed separately in order. The sealed bytes are binary, so the parser cuts
// them by the declared Length, never by searching for the boundary.
// Mechanism-neutral: the seal itself comes from a `MessageSealer` (NTLM here).

import { LimitError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';
import { AuthIntegrityError, AuthProtocolError } from './errors.js';

export const ENCRYPTED_BOUNDARY = 'Encrypted Boundary';
export const SPNEGO_ENCRYPTED = 'application/HTTP-SPNEGO-session-encrypted';
/** The bare `Kerberos` scheme's protocol (MS-WSMV 2.2.9.1.1). */
export const KERBEROS_ENCRYPTED = 'application/HTTP-Kerberos-session-encrypted';

/** GSS_WrapEx / GSS_UnwrapEx of a security context. */
export interface MessageSealer {
  wrap(message: Uint8Array): { readonly signature: Uint8Array; readonly sealed: Uint8Array };
  unwrap(sealed: Uint8Array, signature: Uint8Array): Uint8Array;
  /**
   * Most padding bytes the sealed data may have beyond the message (RC4
   * Kerberos pads one byte; OriginalContent's Length then counts the sealed
   * bytes, as pyspnego and Windows do). Default 0: the lengths are equal.
   */
  readonly maxPadding?: number;
}

export interface EncryptedPart {
  /** The protocol named in the metadata Content-Type. */
  readonly protocol: string;
  /** OriginalContent type and charset (`application/soap+xml`, `UTF-8`). */
  readonly originalType: string;
  readonly charset: string | undefined;
  readonly length: number;
  readonly signature: Uint8Array;
  readonly sealed: Uint8Array;
}

export interface EncryptionLimits {
  /** Most encrypted parts in one body (default 4096). */
  readonly maxParts?: number;
  /** Largest signature (header) length accepted (default 1024; NTLM's is 16). */
  readonly maxSignatureBytes?: number;
  /**
   * How many bytes the data section holds after the 4-byte length, when it is
   * not `signature length + Length` (CredSSP: whole TLS records, see
   * src/auth/credssp/encryption.ts). The signature is then empty and `sealed`
   * is those bytes.
   */
  readonly dataLength?: (rest: Uint8Array, declaredLength: number) => number;
}

/** The Content-Type header of an encrypted body. */
export function encryptedContentType(protocol = SPNEGO_ENCRYPTED, multi = false): string {
  return `${multi ? 'multipart/x-multi-encrypted' : 'multipart/encrypted'};protocol="${protocol}";boundary="${ENCRYPTED_BOUNDARY}"`;
}

/** Whether a Content-Type announces an encrypted body, and with which protocol. */
export function encryptedProtocolOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const ct = contentType.trim();
  if (!/^multipart\/(x-multi-)?encrypted\s*(;|$)/i.test(ct)) return undefined;
  return /;\s*protocol\s*=\s*"?([^";]+)"?/i.exec(ct)?.[1]?.trim() ?? '';
}

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/**
 * Seals `plain` and frames it. With `chunkSize`, the body is split into parts
 * of at most that many bytes (`multipart/x-multi-encrypted`), each sealed in order.
 */
export function buildEncryptedBody(
  plain: Uint8Array,
  sealer: MessageSealer,
  options: { protocol?: string; charset?: string; chunkSize?: number } = {},
): { body: Uint8Array; contentType: string } {
  const protocol = options.protocol ?? SPNEGO_ENCRYPTED;
  const charset = options.charset ?? 'UTF-8';
  const chunk = options.chunkSize && plain.byteLength > options.chunkSize ? options.chunkSize : plain.byteLength || 1;
  const parts: Uint8Array[] = [];
  let count = 0;
  for (let at = 0; count === 0 || at < plain.byteLength; at += chunk) {
    count++;
    const piece = plain.subarray(at, Math.min(at + chunk, plain.byteLength));
    const { signature, sealed } = sealer.wrap(piece);
    const sigLen = new Uint8Array(4);
    new DataView(sigLen.buffer).setUint32(0, signature.byteLength, true);
    parts.push(
      enc(
        `--${ENCRYPTED_BOUNDARY}\r\n\tContent-Type: ${protocol}\r\n\tOriginalContent: type=application/soap+xml;charset=${charset};Length=${piece.byteLength}\r\n` +
          `--${ENCRYPTED_BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n`,
      ),
      sigLen,
      signature,
      sealed,
    );
  }
  parts.push(enc(`--${ENCRYPTED_BOUNDARY}--\r\n`));
  return { body: concatBytes(parts), contentType: encryptedContentType(protocol, count > 1) };
}

/** A cursor over the text-and-binary body. */
class Cursor {
  at = 0;
  constructor(readonly b: Uint8Array) {}
  get left(): number {
    return this.b.byteLength - this.at;
  }
  /** Reads a line (without CRLF); at most `max` bytes. */
  line(what: string, max = 512): string {
    const end = Math.min(this.b.byteLength, this.at + max + 2);
    for (let i = this.at; i + 1 < end; i++) {
      if (this.b[i] === 0x0d && this.b[i + 1] === 0x0a) {
        const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.at, i - this.at).toString('latin1');
        this.at = i + 2;
        return s;
      }
    }
    throw new AuthProtocolError(`no CRLF-terminated ${what} line at offset ${this.at}`, 'encrypted body');
  }
  /** Skips an optional CRLF (some peers put one between the sealed data and the boundary). */
  optionalCrlf(): void {
    if (this.left >= 2 && this.b[this.at] === 0x0d && this.b[this.at + 1] === 0x0a) this.at += 2;
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.left) throw new AuthProtocolError(`${what} needs ${n} bytes at offset ${this.at} but only ${this.left} remain`, 'encrypted body');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

// "--Encrypted Boundary", with the space after "--" that some servers (Exchange) add.
const BOUNDARY_LINE = /^--\s?Encrypted Boundary(--)?\s*$/;

function header(line: string, name: string): string | undefined {
  const m = /^\s*([A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
  return m && m[1]!.toLowerCase() === name.toLowerCase() ? m[2]!.trim() : undefined;
}

/** Splits an encrypted body into its parts (no unsealing): strict about structure and lengths. */
export function parseEncryptedBody(body: Uint8Array, limits: EncryptionLimits = {}): EncryptedPart[] {
  const maxParts = limits.maxParts ?? 4096;
  const maxSig = limits.maxSignatureBytes ?? 1024;
  const c = new Cursor(body);
  const where = 'encrypted body';
  const parts: EncryptedPart[] = [];
  let line = c.line('boundary');
  for (;;) {
    const b = BOUNDARY_LINE.exec(line);
    if (!b) throw new AuthProtocolError(`expected the "--${ENCRYPTED_BOUNDARY}" line, found ${JSON.stringify(line.slice(0, 60))}`, where);
    if (b[1]) break; // closing boundary
    if (parts.length >= maxParts) throw new LimitError('encrypted parts', maxParts, parts.length + 1, where);
    const protocol = header(c.line('Content-Type'), 'Content-Type');
    if (!protocol) throw new AuthProtocolError('the metadata section of an encrypted part has no Content-Type', where);
    const original = header(c.line('OriginalContent'), 'OriginalContent');
    if (original === undefined) throw new AuthProtocolError('an encrypted part has no OriginalContent header', where);
    const fields = original.split(';').map((s) => s.trim());
    const params = new Map(fields.slice(1).map((f) => [f.slice(0, f.indexOf('=')).trim().toLowerCase(), f.slice(f.indexOf('=') + 1).trim()] as const));
    const lengthText = params.get('length');
    if (!lengthText || !/^\d{1,10}$/.test(lengthText)) throw new AuthProtocolError(`OriginalContent has no valid Length (${JSON.stringify(original)})`, where);
    const length = Number(lengthText);
    const originalType = fields[0]!.replace(/^type\s*=\s*/i, '');
    const mid = BOUNDARY_LINE.exec(c.line('boundary'));
    if (!mid || mid[1]) throw new AuthProtocolError('expected the boundary before the data section of an encrypted part', where);
    const dataType = header(c.line('Content-Type'), 'Content-Type');
    if (dataType?.toLowerCase() !== 'application/octet-stream') throw new AuthProtocolError(`the data section has Content-Type ${JSON.stringify(dataType)}, expected application/octet-stream`, where);
    const sigLenBytes = c.take(4, 'signature length');
    const sigLen = new DataView(sigLenBytes.buffer, sigLenBytes.byteOffset, 4).getUint32(0, true);
    if (sigLen > maxSig) throw new LimitError('encryption signature length', maxSig, sigLen, where);
    if (limits.dataLength) {
      const sealed = c.take(limits.dataLength(c.b.subarray(c.at), length), 'sealed data');
      parts.push({ protocol, originalType, charset: params.get('charset'), length, signature: new Uint8Array(0), sealed });
      c.optionalCrlf();
      line = c.line('boundary');
      continue;
    }
    const signature = c.take(sigLen, 'signature');
    if (length > c.left) throw new AuthProtocolError(`OriginalContent Length=${length} but only ${c.left} bytes of the body remain`, where);
    const sealed = c.take(length, 'sealed data');
    parts.push({ protocol, originalType, charset: params.get('charset'), length, signature, sealed });
    c.optionalCrlf();
    line = c.line('boundary');
  }
  if (parts.length === 0) throw new AuthProtocolError('an encrypted body without encrypted parts', where);
  if (c.left > 0 && Buffer.from(body.subarray(c.at)).toString('latin1').trim() !== '') {
    throw new AuthProtocolError(`${c.left} bytes after the closing boundary`, where);
  }
  return parts;
}

/**
 * Parses and unseals an encrypted body in order; every signature must verify
 * (AuthIntegrityError otherwise) and each unsealed part must have its declared length.
 */
export function unwrapEncryptedBody(body: Uint8Array, sealer: MessageSealer, options: EncryptionLimits & { protocol?: string } = {}): { plain: Uint8Array; charset: string | undefined } {
  const parts = parseEncryptedBody(body, options);
  const protocol = options.protocol ?? SPNEGO_ENCRYPTED;
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (p.protocol.toLowerCase() !== protocol.toLowerCase()) throw new AuthProtocolError(`an encrypted part uses ${p.protocol}, expected ${protocol}`, 'encrypted body');
    const plain = sealer.unwrap(p.sealed, p.signature);
    const pad = p.length - plain.byteLength;
    if (pad < 0 || pad > (sealer.maxPadding ?? 0)) throw new AuthIntegrityError(`an unsealed part has ${plain.byteLength} bytes but OriginalContent says ${p.length}`);
    out.push(plain);
  }
  return { plain: out.length === 1 ? out[0]! : concatBytes(out), charset: parts[0]!.charset };
}

// GUIDs as .NET writes them. The text form is the usual 8-4-4-4-12 hex; the
// binary form (Guid.ToByteArray, what PSRP message headers carry) stores the
// first three groups little-endian and the last 8 bytes as written. psremote
// keeps GUIDs as lower-case strings internally and upper-cases them only where
// a peer compares case-sensitively (WSMan ShellId/CommandId).
// Nothing here makes random ids: callers pass them in (crypto.randomUUID()).

import { RemoteProtocolError, UsageError } from '../errors.js';

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(text: string): boolean {
  return GUID_RE.test(text);
}

/**
 * Normalise a GUID to lower case. Accepts surrounding braces and a `uuid:`
 * prefix (WSMan writes `uuid:...`). Throws UsageError for anything else.
 */
export function normalizeGuid(text: string): string {
  let t = text.trim();
  if (t.length > 5 && t.slice(0, 5).toLowerCase() === 'uuid:') t = t.slice(5);
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  if (!GUID_RE.test(t)) throw new UsageError(`not a GUID: ${JSON.stringify(text.slice(0, 60))}`);
  return t.toLowerCase();
}

/** Upper-case form (WSMan ShellId/CommandId are compared case-sensitively and PowerShell upper-cases them). */
export function guidToUpper(text: string): string {
  return normalizeGuid(text).toUpperCase();
}

// Byte positions in the text (hex pairs, dashes removed) for each .NET byte.
const LE_ORDER = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

/** GUID text -> the 16 bytes of .NET Guid.ToByteArray(). */
export function guidToBytesLE(text: string, out?: Uint8Array, offset = 0): Uint8Array {
  const hex = normalizeGuid(text).replace(/-/g, '');
  const target = out ?? new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const src = LE_ORDER[i]!;
    target[offset + i] = parseInt(hex.slice(src * 2, src * 2 + 2), 16);
  }
  return target;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The 16 bytes of .NET Guid.ToByteArray() at `offset` -> lower-case GUID text. */
export function guidFromBytesLE(bytes: Uint8Array, offset = 0): string {
  if (bytes.byteLength - offset < 16 || offset < 0) {
    throw new RemoteProtocolError('PSR_DATA_TRUNCATED', `GUID needs 16 bytes at offset ${offset}`);
  }
  const text: string[] = new Array<string>(16);
  for (let i = 0; i < 16; i++) text[LE_ORDER[i]!] = HEX[bytes[offset + i]!]!;
  const h = text.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** GUID text -> RFC 4122 big-endian 16 bytes (the order the text is written in). */
export function guidToBytesBE(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(normalizeGuid(text).replace(/-/g, ''), 'hex'));
}

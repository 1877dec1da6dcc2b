// Strict base64 decoding for the hot paths (every WSMan stream, OutOfProc <Data>
// line and CLIXML <BA> carries base64, a file transfer hundreds of MB of it).
// Node's decoder is fast but lenient: it skips characters outside the alphabet
// and takes the URL-safe '-' and '_'. So decode, then check that nothing was
// skipped (the length is exactly what the text promises) and that no URL-safe
// character was there: the same strings as /^[A-Za-z0-9+/]*={0,2}$/ with a
// length that is a multiple of 4, for a fraction of that regex's cost
// (bench/file-transfer.bench.ts, node --cpu-prof).

/** The bytes of strict base64 text (length a multiple of 4, '=' only as the last one or two), or undefined. */
export function decodeBase64Checked(s: string): Buffer | undefined {
  const n = s.length;
  if (n % 4 !== 0) return undefined;
  let pad = 0;
  if (n > 0 && s.charCodeAt(n - 1) === 0x3d) pad++;
  if (n > 1 && s.charCodeAt(n - 2) === 0x3d) pad++;
  if (s.includes('-') || s.includes('_')) return undefined;
  const b = Buffer.from(s, 'base64');
  return b.length === (n / 4) * 3 - pad ? b : undefined;
}

/**
 * Bytes in base64 are written in slices of this many (a multiple of 3, so the
 * slices' base64 joins up): each slice's string stays in V8's young space,
 * where a scavenge frees it, instead of one string of the whole payload in
 * large-object space that only a full collection frees.
 */
const SLICE = 49_152;

/** Encoded length of `n` bytes in base64. */
export const base64Length = (n: number): number => Math.ceil(n / 3) * 4;

/**
 * One buffer of `parts`: strings as UTF-8, byte arrays as their base64. What a
 * SOAP envelope or an OutOfProc line with a large payload is made of, without
 * the payload's base64 or the whole text ever being one string. The first
 * `headroom` bytes are left for the caller (a header written in front).
 */
export function textWithBase64(parts: readonly (string | Uint8Array)[], headroom = 0): Buffer {
  let size = headroom;
  for (const p of parts) size += typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : base64Length(p.byteLength);
  const out = Buffer.allocUnsafe(size);
  let at = headroom;
  for (const p of parts) {
    if (typeof p === 'string') {
      at += out.write(p, at, 'utf8');
      continue;
    }
    const b = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    for (let i = 0; i < b.length; i += SLICE) at += out.write(b.toString('base64', i, Math.min(b.length, i + SLICE)), at, 'latin1');
  }
  return out;
}

/** Base64 text is read in slices of this many characters (a multiple of 4; young-space strings). */
const TEXT_SLICE = 65_536;

/**
 * The bytes of strict base64 given as ASCII bytes (a CLIXML <BA> inside a
 * message), decoded in slices, so that neither the text nor the message is
 * ever one large string; undefined for anything decodeBase64Checked refuses.
 */
export function decodeBase64Bytes(src: Uint8Array): Buffer | undefined {
  const n = src.byteLength;
  if (n % 4 !== 0) return undefined;
  let pad = 0;
  if (n > 0 && src[n - 1] === 0x3d) pad++;
  if (n > 1 && src[n - 2] === 0x3d) pad++;
  const out = Buffer.allocUnsafeSlow((n / 4) * 3 - pad);
  const text = Buffer.from(src.buffer, src.byteOffset, n);
  let at = 0;
  for (let i = 0; i < n; i += TEXT_SLICE) {
    const end = Math.min(n, i + TEXT_SLICE);
    const s = text.toString('latin1', i, end);
    // '=' only at the very end; Node would skip other characters and take '-' and '_'
    const body = end === n ? s.slice(0, s.length - pad) : s;
    if (body.includes('=') || body.includes('-') || body.includes('_')) return undefined;
    const want = ((end - i) / 4) * 3 - (end === n ? pad : 0);
    if (out.write(s, at, 'base64') !== want) return undefined;
    at += want;
  }
  return out;
}

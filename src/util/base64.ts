// Base64 checks for the hot paths (every WSMan stream, OutOfProc <Data> line and
// CLIXML <BA> carries base64, a file transfer hundreds of MB of it): a table
// loop instead of an anchored regex, which cost more than the decoding itself
// (bench/file-transfer.bench.ts, node --cpu-prof).

const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') ALPHABET[c.charCodeAt(0)] = 1;
const PAD = 0x3d; // '='

/**
 * True when `s` is base64 alphabet characters followed by at most two '=':
 * what /^[A-Za-z0-9+/]*={0,2}$/ accepts. Callers check the length themselves
 * (a multiple of 4 for strict base64).
 */
export function isBase64Text(s: string): boolean {
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === PAD) end--;
  if (end > 0 && s.charCodeAt(end - 1) === PAD) end--;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || ALPHABET[c] === 0) return false;
  }
  return true;
}

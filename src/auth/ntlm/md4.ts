// MD4 (RFC 1320) in plain TypeScript. NTLM needs it for the NT hash
// (NTOWFv1 = MD4(UTF-16LE(password))), and Node 20's OpenSSL 3 refuses
// createHash('md4') without the legacy provider, which a library cannot turn
// on for its users (dependencies note §4).

const rotl = (v: number, s: number): number => (v << s) | (v >>> (32 - s));

/** The 16-byte MD4 digest of `message`. */
export function md4(message: Uint8Array): Uint8Array {
  const n = message.byteLength;
  // Padding: 0x80, zeros, then the bit length as a 64-bit little-endian number.
  const words = (((n + 8) >>> 6) + 1) * 16;
  const x = new Uint32Array(words);
  for (let i = 0; i < n; i++) x[i >> 2]! |= message[i]! << ((i & 3) * 8);
  x[n >> 2]! |= 0x80 << ((n & 3) * 8);
  x[words - 2] = (n * 8) >>> 0;
  x[words - 1] = Math.floor(n / 0x20000000);
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  for (let i = 0; i < words; i += 16) {
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;
    // Round 1: F(x,y,z) = (x & y) | (~x & z)
    for (const k of [0, 4, 8, 12]) {
      a = rotl((a + ((b & c) | (~b & d)) + x[i + k]!) | 0, 3);
      d = rotl((d + ((a & b) | (~a & c)) + x[i + k + 1]!) | 0, 7);
      c = rotl((c + ((d & a) | (~d & b)) + x[i + k + 2]!) | 0, 11);
      b = rotl((b + ((c & d) | (~c & a)) + x[i + k + 3]!) | 0, 19);
    }
    // Round 2: G(x,y,z) = majority, constant 0x5a827999
    for (const k of [0, 1, 2, 3]) {
      a = rotl((a + ((b & c) | (b & d) | (c & d)) + x[i + k]! + 0x5a827999) | 0, 3);
      d = rotl((d + ((a & b) | (a & c) | (b & c)) + x[i + k + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + ((d & a) | (d & b) | (a & b)) + x[i + k + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + ((c & d) | (c & a) | (d & a)) + x[i + k + 12]! + 0x5a827999) | 0, 13);
    }
    // Round 3: H(x,y,z) = x ^ y ^ z, constant 0x6ed9eba1
    for (const k of [0, 2, 1, 3]) {
      a = rotl((a + (b ^ c ^ d) + x[i + k]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + (a ^ b ^ c) + x[i + k + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + (d ^ a ^ b) + x[i + k + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + (c ^ d ^ a) + x[i + k + 12]! + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  view.setInt32(0, a, true);
  view.setInt32(4, b, true);
  view.setInt32(8, c, true);
  view.setInt32(12, d, true);
  return out;
}

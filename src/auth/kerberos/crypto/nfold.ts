import { InternalError } from '../../../errors.js';
// n-fold (RFC 3961 5.1): stretches or folds a constant (a key usage, the
// string "kerberos") to the cipher's block size before key derivation.
// Replicate the input, rotating each copy right by 13 bits more than the last,
// up to the least common multiple of both lengths, then add the n-byte chunks
// with ones'-complement (end-around carry) addition.

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** n-fold of `input` to `outBytes` bytes. */
export function nfold(input: Uint8Array, outBytes: number): Uint8Array {
  const inBytes = input.byteLength;
  if (inBytes === 0 || outBytes <= 0) throw new InternalError('n-fold needs a non-empty input and output');
  const lcm = (inBytes * outBytes) / gcd(inBytes, outBytes);
  const inBits = inBytes * 8;
  // The lcm-byte replicated, rotated string, one bit at a time from the input.
  const big = new Uint8Array(lcm);
  for (let copy = 0; copy < lcm / inBytes; copy++) {
    const rot = (13 * copy) % inBits;
    for (let bit = 0; bit < inBits; bit++) {
      // Bit `bit` of this copy is input bit (bit - rot) mod inBits (rotation to the right).
      const src = (bit - rot + inBits) % inBits;
      if ((input[src >> 3]! >> (7 - (src & 7))) & 1) big[copy * inBytes + (bit >> 3)]! |= 0x80 >> (bit & 7);
    }
  }
  // Ones'-complement sum of the outBytes-long chunks, big-endian.
  const sum = new Uint8Array(outBytes);
  for (let off = 0; off < lcm; off += outBytes) {
    let carry = 0;
    for (let i = outBytes - 1; i >= 0; i--) {
      const v = sum[i]! + big[off + i]! + carry;
      sum[i] = v & 0xff;
      carry = v >> 8;
    }
    for (let i = outBytes - 1; carry && i >= 0; i--) {
      const v = sum[i]! + carry;
      sum[i] = v & 0xff;
      carry = v >> 8;
    }
  }
  return sum;
}

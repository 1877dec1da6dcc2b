import { UsageError } from '../../errors.js';
// RC4 in plain TypeScript (Node 20's OpenSSL 3 refuses the 'rc4' cipher).
// NTLM uses it twice: once-off to encrypt the random session key (RC4K), and
// as a stateful "handle" per direction that seals every message and encrypts
// every signature checksum for the life of the security context, so the
// keystream position is part of the session state (MS-NLMP 3.4).

export class Rc4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array) {
    if (key.byteLength === 0 || key.byteLength > 256) throw new UsageError(`RC4 key must be 1..256 bytes, not ${key.byteLength}`);
    const s = this.#s;
    for (let k = 0; k < 256; k++) s[k] = k;
    for (let k = 0, j = 0; k < 256; k++) {
      j = (j + s[k]! + key[k % key.byteLength]!) & 255;
      const t = s[k]!;
      s[k] = s[j]!;
      s[j] = t;
    }
  }

  /** The keystream position, to be put back with restore() (MS-SPNG 3.3.5.1 mechListMIC). */
  snapshot(): { readonly s: Uint8Array; readonly i: number; readonly j: number } {
    return { s: this.#s.slice(), i: this.#i, j: this.#j };
  }
  restore(state: { readonly s: Uint8Array; readonly i: number; readonly j: number }): void {
    this.#s.set(state.s);
    this.#i = state.i;
    this.#j = state.j;
  }

  /** Encrypts or decrypts (the same operation) `data`, advancing the keystream. */
  update(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.byteLength);
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    for (let k = 0; k < data.byteLength; k++) {
      i = (i + 1) & 255;
      const si = s[i]!;
      j = (j + si) & 255;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      out[k] = data[k]! ^ s[(si + sj) & 255]!;
    }
    this.#i = i;
    this.#j = j;
    return out;
  }
}

/** RC4K(key, data): a one-off encryption with a fresh key schedule. */
export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Rc4(key).update(data);
}

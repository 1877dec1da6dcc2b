// Kerberos crypto throughput: string-to-key (PBKDF2 at MIT's 4096 iterations,
// and rc4's NT hash), encrypt + decrypt of 1 MiB per enctype (AES-CTS with
// HMAC-SHA1-96 on node:crypto; rc4-hmac with our own RC4), and the keyed
// checksums a GSS MIC token uses.
import { Bench } from 'tinybench';
import { decrypt, encrypt, makeChecksum, randomKey, stringToKey } from '../src/auth/kerberos/crypto/index.js';

const MIB = 1024 * 1024;
const oneMiB = new Uint8Array(MIB).fill(0x41);
const small = new Uint8Array(256).fill(0x42);
const keys = { aes256: randomKey(18), aes128: randomKey(17), rc4: randomKey(23) };

const bench = new Bench({ time: 1000 });
bench
  .add('string-to-key aes256 (PBKDF2-HMAC-SHA1, 4096 iterations)', () => {
    stringToKey(18, 'Corr3ct-Horse', 'EXAMPLE.COMalice');
  })
  .add('string-to-key aes128 (PBKDF2-HMAC-SHA1, 4096 iterations)', () => {
    stringToKey(17, 'Corr3ct-Horse', 'EXAMPLE.COMalice');
  })
  .add('string-to-key rc4-hmac (MD4 of UTF-16LE)', () => {
    stringToKey(23, 'Corr3ct-Horse', '');
  });
for (const [name, key] of Object.entries(keys)) {
  bench.add(`${name}: encrypt + decrypt 1 MiB`, () => {
    decrypt(key, 22, encrypt(key, 22, oneMiB));
  });
}
for (const [name, key] of Object.entries(keys)) {
  bench.add(`${name}: checksum of 256 bytes`, () => {
    makeChecksum(key, 23, small);
  });
}

await bench.run();
console.table(bench.table());

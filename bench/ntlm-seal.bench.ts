// NTLM sealing throughput (our RC4 + node:crypto HMAC-MD5), the WinRM
// multipart/encrypted framing around it, and a full NTLM handshake in memory.
import { Bench } from 'tinybench';
import { NtlmAcceptor } from '../src/auth/ntlm/acceptor.js';
import { ntowfv1 } from '../src/auth/ntlm/crypto.js';
import { CLIENT_FLAGS } from '../src/auth/ntlm/flags.js';
import { NtlmInitiator } from '../src/auth/ntlm/initiator.js';
import { md4 } from '../src/auth/ntlm/md4.js';
import { Rc4 } from '../src/auth/ntlm/rc4.js';
import { NtlmSessionSecurity } from '../src/auth/ntlm/session-security.js';
import { buildEncryptedBody, unwrapEncryptedBody } from '../src/auth/winrm-encryption.js';

const MIB = 1024 * 1024;
const oneMiB = new Uint8Array(MIB).fill(0x41);
const envelope = new Uint8Array(Buffer.from(`<s:Envelope>${'x'.repeat(8 * 1024)}</s:Envelope>`));
const key = new Uint8Array(16).fill(3);
const client = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'initiator');
const server = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'acceptor');
const rc4 = new Rc4(key);
const nt = ntowfv1('pw');

const bench = new Bench({ time: 1000 });
bench
  .add('RC4 over 1 MiB', () => {
    rc4.update(oneMiB);
  })
  .add('MD4 over 1 MiB', () => {
    md4(oneMiB);
  })
  .add('wrap + unwrap 1 MiB (seal, sign, unseal, verify)', () => {
    const w = client.wrap(oneMiB);
    server.unwrap(w.sealed, w.signature);
  })
  .add('8 KiB SOAP envelope: build + parse multipart/encrypted, both ways sealed', () => {
    const { body } = buildEncryptedBody(envelope, client);
    unwrapEncryptedBody(body, server);
  })
  .add('NTLM handshake in memory (NEGOTIATE, CHALLENGE, AUTHENTICATE with MIC, verify)', () => {
    const i = new NtlmInitiator({ credentials: { username: 'alice', ntHash: nt } });
    const a = new NtlmAcceptor({ lookup: () => nt, requireSealing: true });
    a.accept(i.authenticate(a.challenge(i.negotiate())));
  });

await bench.run();
console.table(bench.table());

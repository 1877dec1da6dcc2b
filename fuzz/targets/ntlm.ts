// auth/ntlm: NEGOTIATE, CHALLENGE and AUTHENTICATE messages and their AV pairs,
// as a client (CHALLENGE from the server) or the endpoint (the others) reads them.
import type { FuzzTarget } from '../engine.js';
import { pyspnego } from '../seeds.js';
import { decodeAuthenticate, decodeChallenge, decodeNegotiate } from '../../src/auth/ntlm/messages.js';
import { decodeAvPairs } from '../../src/auth/ntlm/av-pairs.js';
import { PsRemoteError } from '../../src/errors.js';

function typed(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof PsRemoteError)) throw e;
  }
}

export default {
  name: 'ntlm',
  seeds: () => pyspnego('ntlm_'),
  dictionary: [new Uint8Array([0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0])],
  run(input) {
    typed(() => decodeNegotiate(input));
    typed(() => {
      const c = decodeChallenge(input);
      JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    });
    typed(() => decodeAuthenticate(input));
    typed(() => decodeAvPairs(input.subarray(Math.min(input.length, 8)), 'fuzz', 'zeros'));
  },
} satisfies FuzzTarget;

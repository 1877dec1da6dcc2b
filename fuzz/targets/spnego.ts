// auth/spnego: DER reading of NegTokenInit/NegTokenResp (and the inner token kind).
import type { FuzzTarget } from '../engine.js';
import { pyspnego } from '../seeds.js';
import { decodeNegotiationToken, innerTokenKind, looksLikeSpnego } from '../../src/auth/spnego/tokens.js';

export default {
  name: 'spnego',
  seeds: () => [...pyspnego('initial_context_token'), ...pyspnego('neg_token'), ...pyspnego('ntlm_')],
  dictionary: [new Uint8Array([0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]), new Uint8Array([0xa1, 0x82]), new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])],
  run(input) {
    looksLikeSpnego(input);
    innerTokenKind(input);
    const t = decodeNegotiationToken(input);
    JSON.stringify(t, (_k, v) => (v instanceof Uint8Array ? v.length : v));
  },
} satisfies FuzzTarget;

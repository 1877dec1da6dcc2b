// wsman/decode.ts: `psremote decode` over captured traffic (envelopes in order,
// PSRP reassembled across them, CLIXML turned into JSON).
import type { FuzzTarget } from '../engine.js';
import { envelopes } from '../seeds.js';
import { EnvelopeDecoder, splitEnvelopes } from '../../src/wsman/decode.js';

const dec = new TextDecoder();

export default {
  name: 'wsman-decode',
  seeds: envelopes,
  run(input) {
    const text = dec.decode(input);
    const d = new EnvelopeDecoder();
    const parts = splitEnvelopes(text);
    for (const p of parts.slice(0, 8)) JSON.stringify(d.decode(p));
  },
} satisfies FuzzTarget;

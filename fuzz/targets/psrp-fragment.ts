// psrp/fragment.ts: fragments split and reassembled across payloads. The first
// byte of the input chooses where the payload is cut, so reassembly across
// several receive() calls is exercised too.
import type { FuzzTarget } from '../engine.js';
import { psrpPayloads } from '../seeds.js';
import { Defragmenter, decodeFragments } from '../../src/psrp/fragment.js';

export default {
  name: 'psrp-fragment',
  seeds: () => psrpPayloads().map((p) => Uint8Array.from([0, ...p])),
  run(input) {
    if (input.length === 0) return;
    const body = input.subarray(1);
    const d = new Defragmenter({ maxMessageBytes: 1 << 20, maxPartialMessages: 16 });
    const cut = input[0]!;
    if (cut === 0) {
      d.receive(body);
      return;
    }
    // Cut only at fragment boundaries (a transport payload holds whole fragments).
    const frags = decodeFragments(body);
    for (let i = 0; i < frags.length; i += cut) for (const f of frags.slice(i, i + cut)) d.receiveFragment(f);
  },
} satisfies FuzzTarget;

// psrp/decode.ts MessageDecoder: fragments → message header (message.ts) →
// CLIXML → typed message bodies, the whole client-side read path of PSRP.
import type { FuzzTarget } from '../engine.js';
import { psrpMessages, psrpPayloads } from '../seeds.js';
import { MessageDecoder } from '../../src/psrp/decode.js';
import { decodeMessage, messageText } from '../../src/psrp/message.js';
import { fragmentMessage } from '../../src/psrp/fragmenter.js';

export default {
  name: 'psrp-message',
  // Whole messages (framed as one fragment) and recorded payloads; the first byte says which.
  seeds: () => [...psrpMessages().map((m) => Uint8Array.from([1, ...m])), ...psrpPayloads().slice(0, 60).map((p) => Uint8Array.from([0, ...p]))],
  run(input) {
    if (input.length === 0) return;
    const body = input.subarray(1);
    if (input[0]! & 1) {
      const m = decodeMessage(body);
      messageText(m);
      const d = new MessageDecoder({ maxMessageBytes: 1 << 20 });
      for (const p of fragmentMessage(body, 1n, 4096)) d.receive(p);
      return;
    }
    new MessageDecoder({ maxMessageBytes: 1 << 20 }).receive(body);
  },
} satisfies FuzzTarget;

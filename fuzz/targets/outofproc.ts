// transport/outofproc: the line splitter, packet decoding and the client
// channel's handling of what a server (pwsh -s, ssh subsystem) writes.
import type { FuzzTarget } from '../engine.js';
import { outOfProcLines } from '../seeds.js';
import { decodePacket } from '../../src/transport/outofproc/packets.js';
import { OutOfProcChannel } from '../../src/transport/outofproc/channel.js';

const dec = new TextDecoder();

export default {
  name: 'outofproc',
  seeds: outOfProcLines,
  dictionary: ["<DataAck PSGuid='00000000-0000-0000-0000-000000000000' />", "<CommandAck PSGuid='", "<CloseAck PSGuid='", "Stream='PromptResponse'", '__NamedPipeError__:', '\n'],
  run(input) {
    for (const line of dec.decode(input).split('\n').slice(0, 16)) if (line) decodePacket(line);
    const ch = new OutOfProcChannel({ maxLine: 64 * 1024 });
    ch.command('11111111-2222-3333-4444-555555555555');
    ch.receive(input);
    ch.receive(new Uint8Array([0x0a]));
    while (ch.nextEvent() !== undefined);
  },
} satisfies FuzzTarget;

// What the local endpoint (`psremote serve`) does first with a request body:
// parseEnvelope, then describeRequest (operation, ShellId, CommandId, signal).
import type { FuzzTarget } from '../engine.js';
import { envelopes } from '../seeds.js';
import { parseEnvelope } from '../../src/wsman/response.js';
import { describeRequest } from '../../src/server/recording.js';

export default {
  name: 'endpoint-request',
  seeds: envelopes,
  dictionary: ['<w:SelectorSet><w:Selector Name="ShellId">', '<rsp:Signal CommandId="', '<rsp:Code>', 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate'],
  run(input) {
    const env = parseEnvelope(input, { operation: 'request' });
    describeRequest(env.root);
  },
} satisfies FuzzTarget;

// wsman/response.ts parseEnvelope (and fault.ts parseFault inside it), and every
// typed response reader the client uses on what a server sends.
import { PsRemoteError } from '../../src/errors.js';
import type { FuzzTarget } from '../engine.js';
import { responses } from '../seeds.js';
import {
  parseCommandResponse,
  parseConnectResponse,
  parseCreateResponse,
  parseEnumeration,
  parseEnvelope,
  parseIdentifyResponse,
  parseMaxEnvelopeSizeKb,
  parseReceiveResponse,
  parseResponse,
} from '../../src/wsman/response.js';

const readers = [parseCreateResponse, parseCommandResponse, parseConnectResponse, parseEnumeration, parseIdentifyResponse, parseMaxEnvelopeSizeKb, parseReceiveResponse] as const;

export default {
  name: 'wsman-envelope',
  seeds: responses,
  dictionary: ['<s:Fault>', '<w:WSManFault Code="2150858843">', '<rsp:Stream Name="stdout">', 'End="true"', '<rsp:ExitCode>', '<a:RelatesTo>uuid:', 'dGVzdA=='],
  run(input) {
    const env = parseEnvelope(input, { operation: 'Receive' });
    try {
      parseResponse(input);
    } catch (e) {
      if (!(e instanceof PsRemoteError)) throw e;
    }
    for (const r of readers) {
      try {
        (r as (e: typeof env) => unknown)(env);
      } catch (e) {
        if (!(e instanceof PsRemoteError)) throw e;
      }
    }
  },
} satisfies FuzzTarget;

import { describe, expect, test } from 'vitest';
import { MessageDecoder, MessageType, encodeMessage, fragmentMessage, decodeFragments } from '../../src/psrp/index.js';
import { recordedPayloads } from './helpers/recordings.js';

describe('MessageDecoder', () => {
  test('decodes one direction of a recording into typed messages', () => {
    const dec = new MessageDecoder();
    const out = recordedPayloads('test_psrp_open_runspace.yml')
      .filter((p) => p.direction === 'server->client')
      .flatMap((p) => dec.receive(p.bytes));
    expect(out.map((m) => m.specName)).toEqual(['SESSION_CAPABILITY', 'APPLICATION_PRIVATE_DATA', 'RUNSPACEPOOL_STATE']);
    expect(out[2]).toMatchObject({ type: 'RunspacePoolState', body: { state: 2 }, pipelineId: undefined, objectId: 3n });
    expect(out.every((m) => m.error === undefined)).toBe(true);
  });

  test('a bad body is reported on that message; unknown types pass through', () => {
    const dec = new MessageDecoder();
    const bad = encodeMessage({ destination: 1, messageType: MessageType.RunspacePoolState, runspacePoolId: '11111111-1111-4111-8111-111111111111', data: '<Obj RefId="0"><MS /></Obj>' });
    const unknown = encodeMessage({ destination: 1, messageType: 0x7777, runspacePoolId: '11111111-1111-4111-8111-111111111111', data: '<S>x</S>' });
    const out = dec.receive(new Uint8Array(Buffer.concat([fragmentMessage(bad, 1n, 1000)[0]!, fragmentMessage(unknown, 2n, 1000)[0]!])));
    expect(out[0]!.error?.code).toBe('PSR_PSRP_MESSAGE_INVALID');
    expect(out[0]!.body).toBeUndefined();
    expect(out[1]).toMatchObject({ type: undefined, specName: 'UNKNOWN_0x00007777', clixml: '<S>x</S>' });
  });
});

test('every truncation of a real payload is either whole fragments or a typed error', () => {
  const p = recordedPayloads('test_psrp_open_runspace.yml')[0]!.bytes;
  const boundaries = new Set<number>([0]);
  let at = 0;
  for (const f of decodeFragments(p)) boundaries.add((at += 21 + f.blob.byteLength));
  for (let cut = 0; cut <= p.byteLength; cut++) {
    if (boundaries.has(cut)) expect(() => decodeFragments(p.subarray(0, cut))).not.toThrow();
    else expect(() => decodeFragments(p.subarray(0, cut))).toThrowError(expect.objectContaining({ code: 'PSR_PSRP_FRAGMENT_INVALID' }));
  }
});

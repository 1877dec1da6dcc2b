import { expect, test } from 'vitest';
import fc from 'fast-check';
import {
  Destination,
  MESSAGE_TYPE_SPEC_NAMES,
  MessageType,
  decodeMessage,
  encodeMessage,
  isKnownMessageType,
  messageText,
  messageTypeName,
  messageTypeSpecName,
} from '../../src/psrp/message.js';
import { ZERO_GUID } from '../../src/util/guid.js';
import { RemoteProtocolError } from '../../src/errors.js';

// MS-PSRP 2.2.1 table, typed in independently of src.
const SPEC_TABLE: [string, number][] = [
  ['SESSION_CAPABILITY', 0x00010002], ['INIT_RUNSPACEPOOL', 0x00010004], ['PUBLIC_KEY', 0x00010005],
  ['ENCRYPTED_SESSION_KEY', 0x00010006], ['PUBLIC_KEY_REQUEST', 0x00010007], ['CONNECT_RUNSPACEPOOL', 0x00010008],
  ['RUNSPACEPOOL_INIT_DATA', 0x0002100b], ['RESET_RUNSPACE_STATE', 0x0002100c], ['SET_MAX_RUNSPACES', 0x00021002],
  ['SET_MIN_RUNSPACES', 0x00021003], ['RUNSPACE_AVAILABILITY', 0x00021004], ['RUNSPACEPOOL_STATE', 0x00021005],
  ['CREATE_PIPELINE', 0x00021006], ['GET_AVAILABLE_RUNSPACES', 0x00021007], ['USER_EVENT', 0x00021008],
  ['APPLICATION_PRIVATE_DATA', 0x00021009], ['GET_COMMAND_METADATA', 0x0002100a], ['RUNSPACEPOOL_HOST_CALL', 0x00021100],
  ['RUNSPACEPOOL_HOST_RESPONSE', 0x00021101], ['PIPELINE_INPUT', 0x00041002], ['END_OF_PIPELINE_INPUT', 0x00041003],
  ['PIPELINE_OUTPUT', 0x00041004], ['ERROR_RECORD', 0x00041005], ['PIPELINE_STATE', 0x00041006],
  ['DEBUG_RECORD', 0x00041007], ['VERBOSE_RECORD', 0x00041008], ['WARNING_RECORD', 0x00041009],
  ['PROGRESS_RECORD', 0x00041010], ['INFORMATION_RECORD', 0x00041011], ['PIPELINE_HOST_CALL', 0x00041100],
  ['PIPELINE_HOST_RESPONSE', 0x00041101],
];

test('MessageType has every MS-PSRP 2.2.1 value with its name', () => {
  expect(Object.keys(MessageType).length).toBe(SPEC_TABLE.length);
  for (const [name, value] of SPEC_TABLE) {
    expect(isKnownMessageType(value)).toBe(true);
    expect(messageTypeSpecName(value)).toBe(name);
    expect(MESSAGE_TYPE_SPEC_NAMES[value as keyof typeof MESSAGE_TYPE_SPEC_NAMES]).toBe(name);
    const camel = name.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())
      .replace('Runspacepool', 'RunspacePool');
    expect(messageTypeName(value)).toBe(camel);
  }
  expect(messageTypeSpecName(0x12345678)).toBe('UNKNOWN_0x12345678');
  expect(messageTypeName(0x12345678)).toBeUndefined();
});

test('header layout against hand-built bytes', () => {
  const bytes = encodeMessage({
    destination: Destination.Server,
    messageType: MessageType.SessionCapability,
    runspacePoolId: '846a0576-dc51-244f-9262-ca2a55464b2b',
    data: '<S />',
  });
  expect(Buffer.from(bytes).toString('hex')).toBe(
    '02000000' + '02000100' + '76056a8451dc4f249262ca2a55464b2b' + '00'.repeat(16) + Buffer.from('<S />').toString('hex'),
  );
  const m = decodeMessage(bytes);
  expect(m).toMatchObject({ destination: 2, messageType: 0x00010002, runspacePoolId: '846a0576-dc51-244f-9262-ca2a55464b2b', pipelineId: ZERO_GUID });
  expect(messageText(m)).toBe('<S />');
});

test('a UTF-8 BOM before the data is dropped', () => {
  const bytes = encodeMessage({ destination: 1, messageType: MessageType.PipelineOutput, runspacePoolId: ZERO_GUID, pipelineId: '11111111-2222-3333-4444-555555555555', data: new Uint8Array([0xef, 0xbb, 0xbf, 0x3c]) });
  const m = decodeMessage(bytes);
  expect(Array.from(m.data)).toEqual([0x3c]);
  expect(m.pipelineId).toBe('11111111-2222-3333-4444-555555555555');
});

test('empty data (END_OF_PIPELINE_INPUT) and unknown types decode', () => {
  const m = decodeMessage(encodeMessage({ destination: 2, messageType: 0x0004ffff, runspacePoolId: ZERO_GUID, data: new Uint8Array() }));
  expect(m.messageType).toBe(0x0004ffff);
  expect(m.data.byteLength).toBe(0);
});

test('malformed headers are typed errors', () => {
  expect(() => decodeMessage(new Uint8Array(39))).toThrowError(
    expect.objectContaining({ code: 'PSR_PSRP_MESSAGE_INVALID', message: expect.stringMatching(/39 bytes is shorter than the 40-byte header/) }),
  );
  const bad = encodeMessage({ destination: 1, messageType: 1, runspacePoolId: ZERO_GUID, data: '' });
  bad[0] = 3;
  expect(() => decodeMessage(bad)).toThrowError(/invalid Destination 3/);
  const m = decodeMessage(encodeMessage({ destination: 1, messageType: MessageType.PipelineOutput, runspacePoolId: ZERO_GUID, data: new Uint8Array([0xff, 0xfe]) }));
  expect(() => messageText(m)).toThrow(RemoteProtocolError);
});

test('property: encode/decode round trip', () => {
  fc.assert(
    fc.property(fc.constantFrom(1 as const, 2 as const), fc.integer({ min: 0, max: 0xffffffff }), fc.uuid(), fc.uuid(), fc.string(), (d, t, r, p, s) => {
      const m = decodeMessage(encodeMessage({ destination: d, messageType: t, runspacePoolId: r, pipelineId: p, data: s }));
      expect(m.destination).toBe(d);
      expect(m.messageType).toBe(t);
      expect(m.runspacePoolId).toBe(r.toLowerCase());
      expect(m.pipelineId).toBe(p.toLowerCase());
      expect(messageText(m)).toBe(s.startsWith('\ufeff') ? s.slice(1) : s);
    }),
  );
});

test('property: random messages survive random fragmentation across payloads', async () => {
  const { Defragmenter } = await import('../../src/psrp/fragment.js');
  const { Fragmenter } = await import('../../src/psrp/fragmenter.js');
  const types = Object.values(MessageType);
  const msg = fc.record({
    destination: fc.constantFrom(1 as const, 2 as const),
    messageType: fc.constantFrom(...types),
    runspacePoolId: fc.uuid(),
    pipelineId: fc.option(fc.uuid(), { nil: undefined }),
    data: fc.string({ unit: 'grapheme', maxLength: 400 }),
  });
  fc.assert(
    fc.property(fc.array(msg, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 22, max: 300 }), { minLength: 1, maxLength: 10 }), (msgs, budgets) => {
      const f = new Fragmenter();
      for (const m of msgs) f.add(encodeMessage(m));
      const d = new Defragmenter();
      const got: ReturnType<typeof decodeMessage>[] = [];
      let i = 0;
      for (let p = f.take(budgets[0]!); p !== undefined; p = f.take(budgets[++i % budgets.length]!)) {
        for (const m of d.receive(p)) got.push(decodeMessage(m.data));
      }
      expect(got.length).toBe(msgs.length);
      got.forEach((g, k) => {
        const m = msgs[k]!;
        expect(g.destination).toBe(m.destination);
        expect(g.messageType).toBe(m.messageType);
        expect(g.runspacePoolId).toBe(m.runspacePoolId.toLowerCase());
        expect(g.pipelineId).toBe((m.pipelineId ?? ZERO_GUID).toLowerCase());
        expect(messageText(g)).toBe(m.data.startsWith('\ufeff') ? m.data.slice(1) : m.data);
      });
    }),
    { numRuns: 200 },
  );
});

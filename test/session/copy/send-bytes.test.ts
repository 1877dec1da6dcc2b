// The byte builders of the file-transfer send path (the Send envelope, the
// byte[] PIPELINE_INPUT body, the OutOfProc <Data> line) must give exactly the
// bytes of the string builders they replace, at every length around the
// base64 slice boundary (49,152 bytes) and the 3-byte groups; and the receive
// side's byte[] reader exactly decodeBody's value, refusing what it refuses.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { build, type ShellRequest } from '../../../src/wsman/envelope.js';
import { RESOURCE } from '../../../src/wsman/namespaces.js';
import { decodeBase64Bytes, decodeBase64Checked, textWithBase64 } from '../../../src/util/base64.js';
import { bodyParts, byteArrayBody, decodeBody, encodeBody } from '../../../src/psrp/messages.js';
import { decodeMessage, Destination, encodeMessage, MessageType } from '../../../src/psrp/message.js';
import { decodePacket, encodePacket, OutOfProcChannel, POOL_GUID } from '../../../src/transport/outofproc/index.js';
import { serializeValue } from '../../../src/psrp/clixml-bridge.js';

const SLICE = 49_152;
const lengths = [0, 1, 2, 3, 4, SLICE - 1, SLICE, SLICE + 1, SLICE + 2, 2 * SLICE, 2 * SLICE + 1, 286_881, 382_638];

describe('textWithBase64', () => {
  it('is the strings as UTF-8 and the bytes as their base64, in order', () => {
    for (const n of lengths) {
      const b = randomBytes(n);
      const got = textWithBase64(['<a é="ü">', b, '</a>', new Uint8Array([251, 255]), '']);
      expect(got.toString('utf8')).toBe(`<a é="ü">${b.toString('base64')}</a>+/8=`);
    }
  });
  it('reads a view at its offset, not its whole buffer', () => {
    const whole = randomBytes(SLICE * 2 + 7);
    const view = whole.subarray(5, SLICE + 11);
    expect(textWithBase64([view]).toString('latin1')).toBe(Buffer.from(view).toString('base64'));
  });
});

describe('build.sendBytes', () => {
  const r: ShellRequest = { to: 'http://h:5985/wsman?x=<&>', resourceUri: RESOURCE.powershell(), messageId: 'D6C5A2F8-0000-4000-8000-000000000001', sessionId: 'D6C5A2F8-0000-4000-8000-000000000002', maxEnvelopeSize: 512_000, operationTimeoutMs: 20_000 };
  const shellId = 'D6C5A2F8-0000-4000-8000-000000000003';
  it('is build.send as UTF-8, for one stream and several', () => {
    for (const n of lengths) {
      const streams = [{ name: 'stdin', commandId: shellId, data: randomBytes(n) }];
      expect(build.sendBytes(r, shellId, streams).equals(Buffer.from(build.send(r, shellId, streams), 'utf8'))).toBe(true);
    }
    const two = [
      { name: 'stdin', commandId: shellId, data: randomBytes(SLICE + 1) },
      { name: 'pr', data: randomBytes(10), end: true },
    ];
    expect(build.sendBytes(r, shellId, two).toString('utf8')).toBe(build.send(r, shellId, two));
  });
});

describe('a byte[] PIPELINE_INPUT body', () => {
  it('is the CLIXML the serializer writes', () => {
    for (const n of lengths) {
      const b = randomBytes(n);
      const got = Buffer.from(encodeBody(MessageType.PipelineInput as never, { value: b } as never)).toString('utf8');
      expect(got).toBe(serializeValue(b, {}));
    }
  });
  it('goes into its message in one piece, the same bytes as the message of the encoded body', () => {
    const head = { destination: Destination.Server, messageType: MessageType.PipelineInput, runspacePoolId: 'c0ffee00-0000-4000-8000-000000000001', pipelineId: 'c0ffee00-0000-4000-8000-000000000002' };
    for (const n of lengths.filter((x) => x > 0)) {
      const body = { value: randomBytes(n) };
      const parts = bodyParts(MessageType.PipelineInput, body as never)!;
      const whole = encodeMessage({ ...head, data: parts });
      expect(Buffer.from(whole).equals(Buffer.from(encodeMessage({ ...head, data: encodeBody(MessageType.PipelineInput, body as never) })))).toBe(true);
      expect(decodeMessage(whole).pipelineId).toBe(head.pipelineId);
    }
    expect(bodyParts(MessageType.PipelineInput, { value: new Uint8Array(0) } as never)).toBeUndefined();
    expect(bodyParts(MessageType.PipelineInput, { value: 'text' } as never)).toBeUndefined();
    expect(bodyParts(MessageType.PipelineHostCall as never, { value: new Uint8Array(3) } as never)).toBeUndefined();
  });
});

describe('OutOfProc <Data> lines as bytes', () => {
  it('are encodePacket and a LF, and decode to the payload', () => {
    const guid = 'a3c2e1f0-0000-4000-8000-00000000000a';
    for (const n of lengths.filter((x) => x > 0)) {
      const payload = randomBytes(n);
      const ch = new OutOfProcChannel();
      ch.command(guid);
      ch.receiveLine(`<CommandAck PSGuid='${guid}' />`);
      ch.sendData(guid, 'Default', payload);
      const out = ch.takeOutputBytes()!;
      const lines = out.toString('latin1').split('\n');
      expect(lines).toEqual([`<Command PSGuid='${guid}' />`, encodePacket({ kind: 'Data', stream: 'Default', psGuid: guid, payload }), '']);
      const p = decodePacket(lines[1]!);
      expect(p.kind === 'Data' && Buffer.from(p.payload).equals(payload)).toBe(true);
      expect(ch.takeOutputBytes()).toBeUndefined();
    }
    const ch = new OutOfProcChannel();
    ch.sendData(POOL_GUID, 'Default', new Uint8Array([1, 2, 3]));
    expect(ch.takeOutput()).toBe(`<Data Stream='Default' PSGuid='${POOL_GUID}'>AQID</Data>\n`);
  });
});

describe('a byte[] PIPELINE_OUTPUT read from its bytes (the receive side of a download)', () => {
  const ba = (text: string) => Buffer.from(`<BA>${text}</BA>`, 'latin1');
  it('decodeBase64Bytes accepts and decodes exactly what decodeBase64Checked does', () => {
    let state = 11;
    const rand = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const chars = 'AZaz09+/=-_ \n!';
    const cases = ['', 'AA==', 'AAA=', 'A===', '====', 'AB=C', 'QUJD', 'QU JD', 'QUJD=A=='];
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const n = 4 * Math.floor(rand() * 4) + (rand() < 0.2 ? Math.floor(rand() * 4) : 0);
      for (let j = 0; j < n; j++) s += chars[Math.floor(rand() * chars.length)];
      cases.push(s);
    }
    // across the 65,536-character slices: valid, and spoiled in the first slice, at its edge and in the last
    for (const n of [49_151, 49_152, 49_153, 98_304, 286_881]) {
      const good = randomBytes(n).toString('base64');
      cases.push(good, `${good.slice(0, 100)}-${good.slice(101)}`, `${good.slice(0, 65_535)}=${good.slice(65_536)}`, `${good.slice(0, -5)}!${good.slice(-4)}`);
    }
    for (const s of cases) {
      const want = decodeBase64Checked(s);
      const got = decodeBase64Bytes(Buffer.from(s, 'latin1'));
      expect(got === undefined, JSON.stringify(s.slice(0, 40))).toBe(want === undefined);
      if (want) expect(got!.equals(want)).toBe(true);
    }
  });
  it('byteArrayBody gives decodeBody\'s value, and leaves anything but one plain <BA> to it', () => {
    for (const n of lengths.filter((x) => x > 0)) {
      const b = randomBytes(n);
      const got = byteArrayBody(MessageType.PipelineOutput, ba(b.toString('base64')));
      expect(got).toEqual(decodeBody(MessageType.PipelineOutput, `<BA>${b.toString('base64')}</BA>`));
      expect(got!.value.constructor).toBe(Uint8Array);
    }
    for (const data of ['<BA></BA>', '<BA />', '<BA>AQ ID</BA>', '<BA>AQI</BA>', '<S>AQID</S>', '<BA>AQID</BA><BA>AQID</BA>', ' <BA>AQID</BA>', '<BA RefId="0">AQID</BA>']) {
      expect(byteArrayBody(MessageType.PipelineOutput, Buffer.from(data)), data).toBeUndefined();
    }
    expect(byteArrayBody(MessageType.PipelineHostCall, ba('AQID'))).toBeUndefined();
  });
});

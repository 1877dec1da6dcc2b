// MS-PSRP spec examples (fixtures/upstream/spec-MS-PSRP/ms-psrp-examples.json,
// only well_formed && !lossy_conversion ones) and the creationXml the real
// PowerShell 7.4.11 client sent (Devolutions/ironPosh fixture).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  Defragmenter,
  MessageType,
  decodeBody,
  decodeMessage,
  decodeValue,
  encodeBody,
  encodeValue,
  messageText,
  messageTypeSpecName,
  type MessageTypeValue,
  type PSValue,
} from '../../src/psrp/index.js';

const EXAMPLES = (
  JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/upstream/spec-MS-PSRP/ms-psrp-examples.json'), 'utf8')) as {
    examples: { section: string; title: string; label: string; xml: string; well_formed: boolean; lossy_conversion: boolean }[];
  }
).examples.filter((e) => e.well_formed && !e.lossy_conversion);

// Section -> message type for the 2.2.2.x message examples.
const SECTION_TYPE: Record<string, MessageTypeValue> = {
  '2.2.2.1': MessageType.SessionCapability,
  '2.2.2.3': MessageType.PublicKey,
  '2.2.2.4': MessageType.EncryptedSessionKey,
  '2.2.2.5': MessageType.PublicKeyRequest,
  '2.2.2.6': MessageType.SetMaxRunspaces,
  '2.2.2.7': MessageType.SetMinRunspaces,
  '2.2.2.9': MessageType.RunspacePoolState,
  '2.2.2.11': MessageType.GetAvailableRunspaces,
  '2.2.2.13': MessageType.ApplicationPrivateData,
  '2.2.2.14': MessageType.GetCommandMetadata,
  '2.2.2.15': MessageType.RunspacePoolHostCall,
  '2.2.2.16': MessageType.RunspacePoolHostResponse,
  '2.2.2.25': MessageType.ProgressRecord,
  '2.2.2.29': MessageType.ConnectRunspacePool,
  '2.2.2.30': MessageType.RunspacePoolInitData,
};

// What each message example must decode to (values read off the spec text).
const EXPECTED: Record<string, object> = {
  '2.2.2.1': { protocolVersion: '2.2', psVersion: '2.0', serializationVersion: '1.1.0.1' },
  '2.2.2.6': { ci: 1n, maxRunspaces: 3 },
  '2.2.2.7': { ci: 2n, minRunspaces: 2 },
  '2.2.2.9': { state: 2 },
  '2.2.2.11': { ci: 3n },
  '2.2.2.14': { name: ['Get-*'], commandType: 15, namespace: [], argumentList: null },
  '2.2.2.15': { ci: 1n, methodId: 11, methodName: 'ReadLine', parameters: [] },
  '2.2.2.16': { ci: 1n, methodId: 11, methodName: 'ReadLine', result: 'Line read from the host' },
  '2.2.2.30': { minRunspaces: 1, maxRunspaces: 1 },
};

describe('MS-PSRP spec examples', () => {
  test('there are clean examples to check', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(50);
    expect(Object.keys(SECTION_TYPE).every((s) => EXAMPLES.some((e) => e.section === s))).toBe(true);
  });

  for (const [i, ex] of EXAMPLES.entries()) {
    const type = SECTION_TYPE[ex.section];
    // 3.1.5.3.15 shows the WSMan carrier: the CLIXML is inside <connectResponseXml>.
    const xml = ex.xml.replace(/^<connectResponseXml[^>]*>([\s\S]*)<\/connectResponseXml>$/, '$1');
    if (ex.section === '2.2.5.1.22') {
      // The spec writes the document as raw markup inside <XD>; PowerShell writes it as
      // escaped text (<XD>&lt;name ...). Raw markup is not CLIXML; it must be a typed error.
      test(`${ex.section} ${ex.title}: raw markup inside <XD> is refused`, () => {
        expect(() => decodeValue(xml, {}, ex.section)).toThrow(expect.objectContaining({ code: 'PSR_CLIXML_INVALID' }));
      });
      continue;
    }
    if (ex.xml.startsWith('<rsp:')) continue; // WSMan envelope snippets, not CLIXML
    test(`${ex.section} ${ex.title} #${i}`, () => {
      // Every example is a valid CLIXML value that survives a round trip.
      const v = decodeValue(xml, {}, ex.section);
      expect(decodeValue(encodeValue(v), {}, ex.section)).toEqual(v);
      if (type === undefined) return;
      const body = decodeBody(type, xml, {}, ex.section);
      if (EXPECTED[ex.section] !== undefined) expect(body).toMatchObject(EXPECTED[ex.section]!);
      // Our encoding of the typed body decodes to the same body.
      const again = decodeBody(type, new TextDecoder().decode(encodeBody(type as never, body as never)), {}, ex.section);
      expect(again).toEqual(body);
    });
  }

  test('CONNECT_RUNSPACEPOOL: counts or the empty-string default', () => {
    const [withCounts, dflt] = EXAMPLES.filter((e) => e.section === '2.2.2.29');
    expect(decodeBody(MessageType.ConnectRunspacePool, withCounts!.xml)).toEqual({ minRunspaces: 1, maxRunspaces: 5 });
    expect(decodeBody(MessageType.ConnectRunspacePool, dflt!.xml)).toEqual({});
    // We send the bare <S /> pypsrp sent to a real server.
    expect(new TextDecoder().decode(encodeBody(MessageType.ConnectRunspacePool, {}))).toBe('<S />');
  });

  test('PUBLIC_KEY and ENCRYPTED_SESSION_KEY examples carry CAPI blobs', () => {
    const pk = decodeBody(MessageType.PublicKey, EXAMPLES.find((e) => e.section === '2.2.2.3')!.xml) as { publicKey: string };
    expect(Buffer.from(pk.publicKey, 'base64').subarray(0, 12).toString('hex')).toBe('0602000000a4000052534131');
    const ek = decodeBody(MessageType.EncryptedSessionKey, EXAMPLES.find((e) => e.section === '2.2.2.4')!.xml) as { encryptedSessionKey: string };
    expect(Buffer.from(ek.encryptedSessionKey, 'base64').subarray(0, 12).toString('hex')).toBe('010200001066000000a40000');
  });
});

describe('PowerShell 7.4.11 creationXml (ironPosh fixture)', () => {
  test('SESSION_CAPABILITY + INIT_RUNSPACEPOOL with a real HostInfo and ApplicationArguments', () => {
    const b64 = readFileSync(join(import.meta.dirname, '../../fixtures/upstream/Devolutions-ironPosh/resources/create/creation_xml_success.txt'), 'utf8');
    const msgs = new Defragmenter().receive(new Uint8Array(Buffer.from(b64.trim(), 'base64'))).map((m) => decodeMessage(m.data));
    expect(msgs.map((m) => messageTypeSpecName(m.messageType))).toEqual(['SESSION_CAPABILITY', 'INIT_RUNSPACEPOOL']);
    expect(msgs.every((m) => m.runspacePoolId === '355dfc76-2a20-4029-8a4f-35b25f25dc18' && m.destination === 2)).toBe(true);
    expect(decodeBody(MessageType.SessionCapability, messageText(msgs[0]!))).toEqual({ protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' });
    const init = decodeBody(MessageType.InitRunspacePool, messageText(msgs[1]!)) as {
      minRunspaces: number; maxRunspaces: number; threadOptions: number; apartmentState: number;
      hostInfo: { isHostNull: boolean; hostDefaultData?: unknown }; applicationArguments: PSValue;
    };
    expect(init).toMatchObject({ minRunspaces: 1, maxRunspaces: 1, threadOptions: 0, apartmentState: 2 });
    expect(init.hostInfo).toMatchObject({ isHostNull: false, isHostUINull: false, isHostRawUINull: false, useRunspaceHost: false });
    expect(init.hostInfo.hostDefaultData).toBeDefined();
    expect(init.applicationArguments).not.toBeNull();
    expect(encodeValue(init.applicationArguments)).toContain('PSVersionTable');
    // Re-encoding the typed body keeps the host data.
    const again = decodeBody(MessageType.InitRunspacePool, new TextDecoder().decode(encodeBody(MessageType.InitRunspacePool, init as never)));
    expect(again).toEqual(init);
  });
});

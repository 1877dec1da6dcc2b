// Raw UI declaration (HostInfo._hostDefaultData, MS-PSRP 2.2.3.14) and host
// calls 27..51 at the session level. The real engine's behaviour is in
// test/peer/real-engine-raw-ui.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PSObject, dictGet, parseClixml, serializeClixml } from '../../src/clixml/index.js';
import { MessageType, NULL_HOST_INFO, encodeBody, type PsrpEvent } from '../../src/psrp/index.js';
import { UsageError } from '../../src/errors.js';
import { NonInteractiveHost, type HostCall, type PSHost } from '../../src/session/host/host.js';
import { MemoryCarrier, type ScriptHandler } from '../../src/server/memory-carrier.js';
import { RunspacePool } from '../../src/session/runspace-pool.js';
import { hostDefaultData, hostInfoFor, keyInfoAnswer, type RawUIDefaults } from '../../src/session/host/raw-ui.js';

/** INIT_RUNSPACEPOOL as the real PowerShell 7.4.11 client wrote it (Devolutions/ironPosh recording, see PROVENANCE). */
function realInitRunspacePool(): string {
  const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/upstream/derived/psrp-fragment-vectors.json'), 'utf8')) as {
    vectors: { id: string; fragments: { message: { message_type_name: string; data_xml: string } }[] }[];
  };
  const v = vectors.vectors.find((x) => x.id === 'pwsh-7.4.11-client-creationxml')!;
  return v.fragments.find((f) => f.message.message_type_name === 'INIT_RUNSPACEPOOL')!.message.data_xml;
}

/** The <Obj N="HostInfo"> element of a message, as a list of tags and texts without RefIds. */
function hostInfoElements(xml: string): string[] {
  const start = xml.indexOf('<Obj N="HostInfo"');
  expect(start).toBeGreaterThanOrEqual(0);
  const tokens = xml.slice(start).match(/<[^>]+>|[^<]+/g)!;
  const out: string[] = [];
  let depth = 0;
  for (const t of tokens) {
    out.push(t.replace(/ RefId="\d+"/, ''));
    if (/^<Obj[ >]/.test(t) && !t.endsWith('/>')) depth++;
    else if (t === '</Obj>' && --depth === 0) break;
  }
  return out;
}

/** The values of the real client's window (read off the recording). */
const REAL_CLIENT_RAW_UI: RawUIDefaults = {
  foregroundColor: 'Gray',
  backgroundColor: 'Black',
  cursorPosition: { x: 0, y: 5 },
  windowPosition: { x: 0, y: 0 },
  cursorSize: 25,
  bufferSize: { width: 201, height: 22 },
  windowSize: { width: 201, height: 22 },
  maxWindowSize: { width: 201, height: 22 },
  maxPhysicalWindowSize: { width: 3824, height: 132 },
  windowTitle: 'C:\\Program Files\\PowerShell\\7\\pwsh.exe',
};

describe('HostInfo with a raw UI', () => {
  test('is written element by element as PowerShell 7.4.11’s client writes it', () => {
    const real = realInitRunspacePool();
    const ours = new TextDecoder().decode(
      encodeBody(MessageType.InitRunspacePool, {
        minRunspaces: 1,
        maxRunspaces: 1,
        threadOptions: 0,
        apartmentState: 2,
        // PowerShell's client sends its $PSVersionTable first; the Hashtable's
        // type names then come as a full <TN> in HostInfo in both documents.
        applicationArguments: null,
        hostInfo: hostInfoFor(REAL_CLIENT_RAW_UI),
      }),
    );
    const expected = hostInfoElements(real);
    expect(expected.length).toBeGreaterThan(100);
    expect(expected).toContain('System.Management.Automation.Host.Coordinates');
    // RefIds are left out: the real message numbers its $PSVersionTable objects first.
    expect(hostInfoElements(ours)).toEqual(expected);
  });

  test('decodes to the declared values (a round trip through our reader)', () => {
    const data = parseClixml(serializeClixml(hostDefaultData({ foregroundColor: 'Cyan', bufferSize: { width: 133, height: 4000 }, windowTitle: 't' }))) as PSObject;
    const dict = data.get('data') as PSObject;
    expect(dict.typeNames).toEqual(['System.Collections.Hashtable', 'System.Object']);
    expect(dict.dict!.map(([k]) => k)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const entry = (k: number) => dictGet(dict, k) as PSObject;
    expect([entry(0).get('T'), entry(0).get('V')]).toEqual(['System.ConsoleColor', 11]);
    expect([entry(1).get('T'), entry(1).get('V')]).toEqual(['System.ConsoleColor', 0]); // default Black
    const buffer = entry(5).get('V') as PSObject;
    expect([entry(5).get('T'), buffer.get('width'), buffer.get('height')]).toEqual(['System.Management.Automation.Host.Size', 133, 4000]);
    expect([entry(4).get('T'), entry(4).get('V')]).toEqual(['System.Int32', 25]);
    expect(entry(9).get('V')).toBe('t');
  });

  test('bad default values are a UsageError naming the field', () => {
    expect(() => hostDefaultData({ foregroundColor: 'Purple' as never })).toThrow(UsageError);
    expect(() => hostDefaultData({ foregroundColor: 'Purple' as never })).toThrow(/rawUI\.foregroundColor: 'Purple' is not a ConsoleColor/);
    expect(() => hostDefaultData({ backgroundColor: 16 })).toThrow(/rawUI\.backgroundColor must be a ConsoleColor 0\.\.15/);
    expect(() => hostDefaultData({ bufferSize: { width: 1.5, height: 2 } })).toThrow(/rawUI\.bufferSize\.width must be a 32-bit integer/);
    expect(() => hostDefaultData({ cursorPosition: null as never })).toThrow(/rawUI\.cursorPosition must be \{x, y\}/);
    expect(() => hostDefaultData({ windowTitle: 5 as never })).toThrow(/rawUI\.windowTitle must be a string/);
    expect(() => keyInfoAnswer({ character: 'ab' })).toThrow(UsageError);
  });

  test('without rawUI the host declares a UI and no raw UI (as before)', () => {
    expect(hostInfoFor((new NonInteractiveHost() as PSHost).rawUI)).toEqual({ isHostNull: false, isHostUINull: false, isHostRawUINull: true, useRunspaceHost: false });
    expect(hostInfoFor({})).toMatchObject({ isHostRawUINull: false });
    expect(NULL_HOST_INFO.isHostRawUINull).toBe(true);
  });

  test('keyInfoAnswer is the KeyInfo of 2.2.3.26 (its example: a, 65, no control keys, key down)', () => {
    const xml = serializeClixml(keyInfoAnswer({ character: 'a', virtualKeyCode: 65 }));
    expect(xml).toBe('<Obj RefId="0"><MS><I32 N="virtualKeyCode">65</I32><C N="character">97</C><I32 N="controlKeyState">0</I32><B N="keyDown">true</B></MS></Obj>');
    expect((keyInfoAnswer({ character: 'q' }) as PSObject).get('virtualKeyCode')).toBe(81);
  });
});

// The raw UI host calls a script handler makes, as PowerShell's server makes them
// (method ids and void-ness of 2.2.3.17; the void ones carry ci -100).
const RAW_UI_CALLS: [number, string, unknown[]][] = [
  [27, 'GetForegroundColor', []],
  [28, 'SetForegroundColor', [12]],
  [42, 'SetWindowTitle', ['x']],
  [41, 'GetWindowTitle', []],
  [45, 'GetKeyAvailable', []],
  [46, 'ReadKey', [6]],
  [47, 'FlushInputBuffer', []],
  [51, 'ScrollBufferContents', []],
];

class RawUIHost implements PSHost {
  readonly rawUI: RawUIDefaults = { windowTitle: 'declared' };
  readonly calls: HostCall[] = [];
  call(c: HostCall) {
    this.calls.push(c);
    if (c.method === 'GetForegroundColor') return 7;
    if (c.method === 'GetWindowTitle') return 'declared';
    if (c.method === 'GetKeyAvailable') return true;
    if (c.method === 'ReadKey') return keyInfoAnswer({ character: 'q' });
    return undefined;
  }
}

describe('raw UI host calls over the in-memory carrier', () => {
  test('reach the PSHost in order; value calls are answered, void calls are not', async () => {
    const handler: ScriptHandler = async (ctx) => {
      const answers: unknown[] = [];
      for (const [id, name, params] of RAW_UI_CALLS) answers.push(await ctx.hostCall(id, name, params as never));
      ctx.output(PSObject.list(answers.map((a) => (a === undefined ? '(none)' : a)) as never));
    };
    const carrier = new MemoryCarrier({ handler });
    const responses: bigint[] = [];
    const server = carrier.server;
    const next = server.nextEvent.bind(server);
    server.nextEvent = () => {
      const e = next() as PsrpEvent | undefined;
      if (e?.type === 'PipelineHostResponse') responses.push(e.ci);
      return e;
    };
    const host = new RawUIHost();
    const pool = await RunspacePool.open(carrier, { host });
    try {
      expect(server.hostInfo).toMatchObject({ isHostNull: false, isHostUINull: false, isHostRawUINull: false, useRunspaceHost: false });
      const r = await pool.invoke('raw').result();
      expect(host.calls.map((c) => [c.methodId, c.method, c.parameters])).toEqual(RAW_UI_CALLS);
      const out = r.output[0] as PSObject;
      expect(out.list!.slice(0, 5)).toEqual([7, '(none)', '(none)', 'declared', true]);
      expect(String((out.list![5] as PSObject).get('character'))).toBe('q');
      // Four value methods (27, 41, 45, 46) got a response: ci 1.. in order; none for 28, 42, 47, 51.
      expect(responses).toHaveLength(4);
      expect(responses.every((ci) => ci > 0n)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  test('a pipeline with its own host declares that host’s raw UI; NonInteractiveHost none', async () => {
    const seen: unknown[] = [];
    const handler: ScriptHandler = (ctx) => {
      seen.push(ctx.request.kind === 'CreatePipeline' ? ctx.request.hostInfo : undefined);
      ctx.output(1);
    };
    const carrier = new MemoryCarrier({ handler });
    const pool = await RunspacePool.open(carrier);
    try {
      expect(carrier.server.hostInfo).toEqual({ isHostNull: false, isHostUINull: false, isHostRawUINull: true, useRunspaceHost: false });
      await pool.invoke('a').result();
      await pool.invoke('b', { host: new RawUIHost() }).result();
      expect(seen[0]).toEqual({ isHostNull: false, isHostUINull: false, isHostRawUINull: true, useRunspaceHost: false });
      expect(seen[1]).toMatchObject({ isHostRawUINull: false });
      const data = (seen[1] as { hostDefaultData: PSObject }).hostDefaultData.get('data') as PSObject;
      expect((dictGet(data, 9) as PSObject).get('V')).toBe('declared');
    } finally {
      await pool.close();
    }
  });
});

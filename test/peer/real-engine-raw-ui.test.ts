// $host.UI.RawUI against PowerShell's own server (test/peer) with a host that
// declares a raw UI. Observed: the server answers getters from the defaults the
// pipeline's HostInfo declares (no host call); setters update that cache, which
// lives as long as the pipeline, and send a void Set* call; ReadKey and the
// buffer methods are host calls; KeyAvailable and GetBufferContents are not
// implemented by the server (no call at all).
import { expect, it } from 'vitest';
import { openSession } from '../../src/session/open.js';
import type { HostCall, PSHost } from '../../src/session/host/host.js';
import { CONTROL_KEY_STATES, keyInfoAnswer, type RawUIDefaults } from '../../src/session/host/raw-ui.js';
import { toPlain } from '../../src/clixml/index.js';
import { describeWithRealEngine } from '../helpers/peers.js';

class RawUIHost implements PSHost {
  calls: HostCall[] = [];
  constructor(private readonly keepTitle = false) {}
  title = 'psremote title';
  /** Read at each pipeline: what the host shows now (as PowerShell's client reads its own RawUI). */
  get rawUI(): RawUIDefaults {
    return {
      foregroundColor: 'Cyan',
      backgroundColor: 'DarkBlue',
      cursorPosition: { x: 3, y: 4 },
      bufferSize: { width: 133, height: 4000 },
      windowSize: { width: 100, height: 40 },
      windowTitle: this.title,
    };
  }
  call(call: HostCall) {
    this.calls.push(call);
    if (call.method === 'SetWindowTitle' && this.keepTitle) this.title = call.parameters[0] as string;
    if (call.method === 'ReadKey') return keyInfoAnswer({ character: 'Q', controlKeyState: CONTROL_KEY_STATES.ShiftPressed });
    if (/^Write|^Set|^FlushInputBuffer$|^ScrollBufferContents$/.test(call.method)) return undefined;
    throw new Error(`RawUIHost does not answer ${call.method}`);
  }
  take(): [string, number, unknown][] {
    const c = this.calls.map((x) => [x.method, x.methodId, toPlain(x.parameters)] as [string, number, unknown]);
    this.calls = [];
    return c;
  }
}

const RECT = '[System.Management.Automation.Host.Rectangle]';
const COORD = '[System.Management.Automation.Host.Coordinates]';
const CELL = "[System.Management.Automation.Host.BufferCell]::new('a', 'Red', 'Black', 'Complete')";

describeWithRealEngine('real PowerShell engine: raw UI host', (host) => {
  it('getters read the declared defaults without host calls; setters arrive as void Set* calls', async () => {
    const h = new RawUIHost();
    const pool = await openSession(`exec:${host}`, { host: h, signal: AbortSignal.timeout(60_000) });
    try {
      const get = async (script: string) => (await pool.invoke(script).result()).output;
      expect(await get('$r = $host.UI.RawUI; "$($r.BufferSize.Width)x$($r.BufferSize.Height) $($r.WindowSize.Width) $($r.CursorPosition.X),$($r.CursorPosition.Y) $($r.CursorSize)"')).toEqual(['133x4000 100 3,4 25']);
      expect(await get('$host.UI.RawUI.WindowTitle')).toEqual(['psremote title']);
      expect(await get('"$($host.UI.RawUI.ForegroundColor) $($host.UI.RawUI.BackgroundColor)"')).toEqual(['Cyan DarkBlue']);
      // Left out of rawUI: RAW_UI_DEFAULTS.
      expect(await get('"$($host.UI.RawUI.MaxPhysicalWindowSize.Width) $($host.UI.RawUI.WindowPosition.X)"')).toEqual(['120 0']);
      expect(h.take()).toEqual([]);

      expect(await get("$host.UI.RawUI.WindowTitle = 'x'; $host.UI.RawUI.WindowTitle")).toEqual(['x']);
      expect(h.take()).toEqual([['SetWindowTitle', 42, ['x']]]);
      expect(await get("$host.UI.RawUI.ForegroundColor = 'Red'; \"$($host.UI.RawUI.ForegroundColor)\"")).toEqual(['Red']);
      expect(h.take()).toEqual([['SetForegroundColor', 28, [12]]]);
      expect(await get('$host.UI.RawUI.BufferSize = [System.Management.Automation.Host.Size]::new(80, 25); $host.UI.RawUI.BufferSize.Width')).toEqual([80]);
      expect(h.take()).toEqual([['SetBufferSize', 38, [{ width: 80, height: 25 }]]]);
      // The cache is the pipeline's: the next one starts from the defaults its own HostInfo declares.
      expect(await get('"$($host.UI.RawUI.WindowTitle) $($host.UI.RawUI.ForegroundColor) $($host.UI.RawUI.BufferSize.Width)"')).toEqual(['psremote title Cyan 133']);
      expect(h.take()).toEqual([]);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('a host that applies SetWindowTitle declares the new title to the next pipeline', async () => {
    const h = new RawUIHost(true);
    const pool = await openSession(`exec:${host}`, { host: h, signal: AbortSignal.timeout(60_000) });
    try {
      await pool.invoke("$host.UI.RawUI.WindowTitle = 'kept'").result();
      expect((await pool.invoke('$host.UI.RawUI.WindowTitle').result()).output).toEqual(['kept']);
      expect(h.take()).toEqual([['SetWindowTitle', 42, ['kept']]]);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('ReadKey is answered with a KeyInfo; FlushInputBuffer and the buffer methods are void calls', async () => {
    const h = new RawUIHost();
    const pool = await openSession(`exec:${host}`, { host: h, signal: AbortSignal.timeout(60_000) });
    try {
      const inv = pool.invoke("$k = $host.UI.RawUI.ReadKey('NoEcho,IncludeKeyDown'); \"$($k.Character) $($k.VirtualKeyCode) $($k.KeyDown) $($k.ControlKeyState)\"");
      expect((await inv.result()).output).toEqual(['Q 81 True ShiftPressed']);
      // ReadKeyOptions NoEcho (4) | IncludeKeyDown (2).
      expect(h.take()).toEqual([['ReadKey', 46, [6]]]);
      expect(h.calls.every((c) => c.pipelineId === inv.pipelineId)).toBe(true);

      const script = [
        '$host.UI.RawUI.FlushInputBuffer()',
        `$host.UI.RawUI.SetBufferContents(${RECT}::new(0, 0, 1, 1), ${CELL})`,
        `$host.UI.RawUI.SetBufferContents(${COORD}::new(1, 2), $host.UI.RawUI.NewBufferCellArray(@('ab'), 'Red', 'Black'))`,
        `$host.UI.RawUI.ScrollBufferContents(${RECT}::new(0, 0, 1, 1), ${COORD}::new(1, 1), ${RECT}::new(0, 0, 5, 5), ${CELL})`,
        "'done'",
      ].join('; ');
      const r = await pool.invoke(script).result();
      expect([r.output, r.error]).toEqual([['done'], []]);
      const cell = (c: string) => ({ character: c, foregroundColor: 12, backgroundColor: 0, bufferCellType: 0 });
      expect(h.take()).toEqual([
        ['FlushInputBuffer', 47, []],
        // PowerShell's numbering: 48 is (Rectangle, BufferCell) and 49 (Coordinates, BufferCell[,]), the
        // other way round from the descriptions in MS-PSRP 2.2.3.17 (spec-notes/ms-psrp.md).
        ['SetBufferContents1', 48, [{ left: 0, top: 0, right: 1, bottom: 1 }, cell('a')]],
        ['SetBufferContents2', 49, [{ x: 1, y: 2 }, { mae: [cell('a'), cell('b')], mal: [1, 2] }]],
        ['ScrollBufferContents', 51, [{ left: 0, top: 0, right: 1, bottom: 1 }, { x: 1, y: 1 }, { left: 0, top: 0, right: 5, bottom: 5 }, cell('a')]],
      ]);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('KeyAvailable and GetBufferContents are not implemented by the server: no host call', async () => {
    const h = new RawUIHost();
    const pool = await openSession(`exec:${host}`, { host: h, signal: AbortSignal.timeout(60_000) });
    try {
      const r = await pool.invoke(
        `try { $null = $host.UI.RawUI.GetBufferContents(${RECT}::new(0, 0, 1, 1)) } catch { $_.Exception.InnerException.Message }; ` +
          '"[$($host.UI.RawUI.KeyAvailable)]"; try { $host.UI.RawUI.get_KeyAvailable() } catch { $_.Exception.InnerException.Message }',
      ).result();
      // The property reads as $null (PowerShell swallows a property getter's exception); the getter method throws.
      expect(r.output).toEqual(['Remote host method GetBufferContents is not implemented.', '[]', 'Remote host method get_KeyAvailable is not implemented.']);
      expect(h.take()).toEqual([]);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });

  it('without rawUI the raw UI is absent on the server and nothing reaches the host', async () => {
    const h = new RawUIHost();
    const plain: PSHost = { call: (c) => h.call(c) };
    const pool = await openSession(`exec:${host}`, { host: plain, signal: AbortSignal.timeout(60_000) });
    try {
      const r = await pool.invoke("\"[$($host.UI.RawUI.WindowTitle)] [$($host.UI.RawUI.BufferSize)]\"; $host.UI.RawUI.WindowTitle = 'x'").result();
      expect(r.output[0]).toBe('[] []');
      expect(h.take()).toEqual([]);
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  });
});

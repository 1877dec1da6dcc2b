// A host's raw UI (PSHostRawUserInterface), as the client declares it in
// HostInfo (MS-PSRP 2.2.3.14) and answers it in host calls 27..51 (2.2.3.17).
//
// PowerShell's server keeps the declared values (_hostDefaultData) in a cache
// per pipeline: getters of $host.UI.RawUI are answered from it without a host
// call, setters update it and send a void Set* call. Each pipeline starts again
// from what its own HostInfo declares (spec-notes/real-engine.md "Raw UI").

import { PSChar, PSObject, type PSValue } from '../../clixml/index.js';
import type { HostInfo } from '../../psrp/index.js';
import { UsageError } from '../../errors.js';

/** System.ConsoleColor names, by value. */
export const CONSOLE_COLORS = [
  'Black', 'DarkBlue', 'DarkGreen', 'DarkCyan', 'DarkRed', 'DarkMagenta', 'DarkYellow', 'Gray',
  'DarkGray', 'Blue', 'Green', 'Cyan', 'Red', 'Magenta', 'Yellow', 'White',
] as const;

export type ConsoleColorName = (typeof CONSOLE_COLORS)[number];
/** A System.ConsoleColor, by value (0..15) or name. */
export type ConsoleColor = number | ConsoleColorName;

/** System.Management.Automation.Host.Size (2.2.3.2). */
export interface HostSize {
  readonly width: number;
  readonly height: number;
}

/** System.Management.Automation.Host.Coordinates (2.2.3.1). */
export interface HostCoordinates {
  readonly x: number;
  readonly y: number;
}

/**
 * What a host's raw UI reports when the pool opens (_hostDefaultData). Every
 * field is optional; missing ones take the values of RAW_UI_DEFAULTS.
 */
export interface RawUIDefaults {
  readonly foregroundColor?: ConsoleColor;
  readonly backgroundColor?: ConsoleColor;
  readonly cursorPosition?: HostCoordinates;
  readonly windowPosition?: HostCoordinates;
  /** Cursor size as a percentage of the cell (PowerShell's console: 25). */
  readonly cursorSize?: number;
  readonly bufferSize?: HostSize;
  readonly windowSize?: HostSize;
  readonly maxWindowSize?: HostSize;
  readonly maxPhysicalWindowSize?: HostSize;
  readonly windowTitle?: string;
}

/** Used for fields a RawUIDefaults leaves out: a plain 120x50 console window. */
export const RAW_UI_DEFAULTS: Required<RawUIDefaults> = Object.freeze({
  foregroundColor: 7,
  backgroundColor: 0,
  cursorPosition: { x: 0, y: 0 },
  windowPosition: { x: 0, y: 0 },
  cursorSize: 25,
  bufferSize: { width: 120, height: 3000 },
  windowSize: { width: 120, height: 50 },
  maxWindowSize: { width: 120, height: 50 },
  maxPhysicalWindowSize: { width: 120, height: 50 },
  windowTitle: '',
});

const T_SIZE = 'System.Management.Automation.Host.Size';
const T_COORDINATES = 'System.Management.Automation.Host.Coordinates';
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function int32(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
    throw new UsageError(`${where} must be a 32-bit integer, got ${String(v)}`);
  }
  return v;
}

/** A ConsoleColor as its value; throws UsageError for anything else. */
export function consoleColorValue(c: ConsoleColor, where = 'color'): number {
  if (typeof c === 'string') {
    const i = CONSOLE_COLORS.findIndex((n) => n.toLowerCase() === c.toLowerCase());
    if (i < 0) throw new UsageError(`rawUI.${where}: '${c}' is not a ConsoleColor (${CONSOLE_COLORS.join(', ')})`);
    return i;
  }
  if (!Number.isInteger(c) || c < 0 || c > 15) throw new UsageError(`rawUI.${where} must be a ConsoleColor 0..15, got ${String(c)}`);
  return c;
}

function size(s: HostSize, where: string): PSValue {
  if (typeof s !== 'object' || s === null) throw new UsageError(`${where} must be {width, height}`);
  return new PSObject({ extended: [['width', int32(s.width, `${where}.width`)], ['height', int32(s.height, `${where}.height`)]] });
}

function coordinates(c: HostCoordinates, where: string): PSValue {
  if (typeof c !== 'object' || c === null) throw new UsageError(`${where} must be {x, y}`);
  return new PSObject({ extended: [['x', int32(c.x, `${where}.x`)], ['y', int32(c.y, `${where}.y`)]] });
}

/** One dictionary value: {T: type name, V: value} (RemoteHostEncoder's form). */
function typed(typeName: string, value: PSValue): PSValue {
  return new PSObject({ extended: [['T', typeName], ['V', value]] });
}

/**
 * The _hostDefaultData value of HostInfo: an object whose `data` property is a
 * Hashtable keyed 9 down to 0, as PowerShell's client writes it (the order of
 * its Hashtable of small Int32 keys; fixtures/upstream/derived pwsh-7.4.11).
 */
export function hostDefaultData(rawUI: RawUIDefaults): PSValue {
  const d = { ...RAW_UI_DEFAULTS, ...definedOnly(rawUI) };
  if (typeof d.windowTitle !== 'string') throw new UsageError('rawUI.windowTitle must be a string');
  const entries: [number, PSValue][] = [
    [9, typed('System.String', d.windowTitle)],
    [8, typed(T_SIZE, size(d.maxPhysicalWindowSize, 'rawUI.maxPhysicalWindowSize'))],
    [7, typed(T_SIZE, size(d.maxWindowSize, 'rawUI.maxWindowSize'))],
    [6, typed(T_SIZE, size(d.windowSize, 'rawUI.windowSize'))],
    [5, typed(T_SIZE, size(d.bufferSize, 'rawUI.bufferSize'))],
    [4, typed('System.Int32', int32(d.cursorSize, 'rawUI.cursorSize'))],
    [3, typed(T_COORDINATES, coordinates(d.windowPosition, 'rawUI.windowPosition'))],
    [2, typed(T_COORDINATES, coordinates(d.cursorPosition, 'rawUI.cursorPosition'))],
    [1, typed('System.ConsoleColor', consoleColorValue(d.backgroundColor, 'backgroundColor'))],
    [0, typed('System.ConsoleColor', consoleColorValue(d.foregroundColor, 'foregroundColor'))],
  ];
  return new PSObject({ extended: [['data', PSObject.dictionary(entries)]] });
}

function definedOnly(o: RawUIDefaults): RawUIDefaults {
  if (typeof o !== 'object' || o === null) throw new UsageError('rawUI must be an object of default values');
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as RawUIDefaults;
}

/**
 * The HostInfo a session declares for a host: a UI always (so Read-Host and
 * prompts become host calls); a raw UI with its default data only when the
 * host declares one. With the null HostInfo the real engine has no UI and
 * Read-Host quietly returns an empty string.
 */
export function hostInfoFor(rawUI: RawUIDefaults | undefined): HostInfo {
  if (rawUI === undefined) return HOST_WITH_UI;
  return { isHostNull: false, isHostUINull: false, isHostRawUINull: false, useRunspaceHost: false, hostDefaultData: hostDefaultData(rawUI) };
}

const HOST_WITH_UI: HostInfo = Object.freeze({ isHostNull: false, isHostUINull: false, isHostRawUINull: true, useRunspaceHost: false });

/** ControlKeyStates flags (2.2.3.27). */
export const CONTROL_KEY_STATES = {
  RightAltPressed: 0x0001,
  LeftAltPressed: 0x0002,
  RightCtrlPressed: 0x0004,
  LeftCtrlPressed: 0x0008,
  ShiftPressed: 0x0010,
  NumLockOn: 0x0020,
  ScrollLockOn: 0x0040,
  CapsLockOn: 0x0080,
  EnhancedKey: 0x0100,
} as const;

export interface KeyInfoInit {
  /** The character typed (one UTF-16 unit), e.g. 'a'. */
  readonly character: string;
  /** Windows virtual key code; default: the upper-case character code for A-Z/0-9, else 0. */
  readonly virtualKeyCode?: number;
  /** ControlKeyStates bit flags (CONTROL_KEY_STATES); default 0. */
  readonly controlKeyState?: number;
  /** Default true (a key press, which is what ReadKey('IncludeKeyDown') waits for). */
  readonly keyDown?: boolean;
}

/** The answer to ReadKey ($host.UI.RawUI.ReadKey()): a KeyInfo (2.2.3.26). */
export function keyInfoAnswer(key: KeyInfoInit): PSValue {
  if (typeof key.character !== 'string' || key.character.length !== 1) throw new UsageError('keyInfoAnswer: character must be one UTF-16 character');
  const upper = key.character.toUpperCase();
  const vk = key.virtualKeyCode ?? (/^[A-Z0-9]$/.test(upper) ? upper.charCodeAt(0) : 0);
  return new PSObject({
    extended: [
      ['virtualKeyCode', int32(vk, 'keyInfoAnswer: virtualKeyCode')],
      ['character', new PSChar(key.character)],
      ['controlKeyState', int32(key.controlKeyState ?? 0, 'keyInfoAnswer: controlKeyState')],
      ['keyDown', key.keyDown ?? true],
    ],
  });
}

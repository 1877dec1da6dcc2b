// The CLIXML value model (MS-PSRP 2.2.5). What parseClixml returns and
// serializeClixml writes back without loss:
//
//   null <Nil>, string <S>, boolean <B>, number <I32>, Uint8Array <BA>,
//   the wrappers of primitives.ts and time.ts for every other primitive,
//   PSObject for <Obj> (type names, ToString, adapted <Props> and extended <MS>
//   properties, and at most one body: a primitive value (extended primitive or
//   enum), a list (LST/IE/STK/QUE) or a dictionary (DCT)),
//   PSProgressRecord for the serializer's own <PR> element.
//
// An object that occurs twice in a document is the same PSObject instance
// (Ref/RefId), so graphs, shared objects and cycles survive a round trip.

import { UsageError } from '../errors.js';
import { toPlain, type PlainViewable, type PlainWalk } from './plain.js';
import type { PSByte, PSChar, PSDecimal, PSDouble, PSGuid, PSInt16, PSInt64, PSScriptBlock, PSSByte, PSSecureString, PSSingle, PSUInt16, PSUInt32, PSUInt64, PSUri, PSVersion, PSXmlDocument } from './primitives.js';
import type { PSDateTime, PSDuration } from './time.js';

/** A value that has no properties: what a primitive element or an enum/extended-primitive body holds. */
export type PSPrimitive =
  | null
  | string
  | boolean
  | number
  | Uint8Array
  | PSChar
  | PSDateTime
  | PSDuration
  | PSByte
  | PSSByte
  | PSInt16
  | PSUInt16
  | PSUInt32
  | PSInt64
  | PSUInt64
  | PSSingle
  | PSDouble
  | PSDecimal
  | PSGuid
  | PSUri
  | PSVersion
  | PSXmlDocument
  | PSScriptBlock
  | PSSecureString
  | PSProgressRecord;

/** Any CLIXML value: what the reader produces and what the session API yields. */
export type PSValue = PSPrimitive | PSObject;

/**
 * What the writer accepts (parameters, arguments, pipeline input): any PSValue,
 * or plain JavaScript that PowerShell would receive as the matching .NET value
 * (undefined as $null, bigint as Int64/UInt64, Date as DateTime, arrays as
 * Object[], Maps and plain objects as Hashtable).
 */
export type PSInput =
  | PSValue
  | undefined
  | bigint
  | Date
  | readonly PSInput[]
  | ReadonlyMap<PSInput, PSInput>
  | { readonly [key: string]: PSInput };

/** What an extended (<MS>) property holds: a value, or a nested property set (<MS N="...">). */
export type PSMember = PSValue | PSPropertySet;

export type CollectionKind = 'LST' | 'IE' | 'STK' | 'QUE';

/** A named set of extended properties (2.2.5.2.9: a nested <MS N="...">). */
export class PSPropertySet implements PlainViewable {
  readonly properties: Map<string, PSMember>;
  constructor(properties?: Iterable<readonly [string, PSMember]> | Record<string, PSMember>) {
    this.properties = toMap(properties);
  }

  plainView(w: PlainWalk, depth: number): unknown {
    return w.record(depth, this.properties);
  }

  toJSON(): unknown {
    return toPlain(this);
  }
}

/**
 * The serializer's own form of System.Management.Automation.ProgressRecord
 * (<PR>, written by powershell.exe -OutputFormat xml and Export-Clixml).
 * PSRP progress messages use an ordinary object instead (2.2.5.1.25).
 */
export class PSProgressRecord implements PlainViewable {
  readonly tag = 'PR' as const;
  activity: string;
  activityId: number;
  currentOperation: string | null;
  parentActivityId: number;
  percentComplete: number;
  /** ProgressRecordType name: Processing or Completed. */
  recordType: string;
  secondsRemaining: number;
  statusDescription: string;
  constructor(init: Partial<Omit<PSProgressRecord, 'tag'>> = {}) {
    this.activity = init.activity ?? '';
    this.activityId = init.activityId ?? 0;
    this.currentOperation = init.currentOperation ?? null;
    this.parentActivityId = init.parentActivityId ?? -1;
    this.percentComplete = init.percentComplete ?? -1;
    this.recordType = init.recordType ?? 'Processing';
    this.secondsRemaining = init.secondsRemaining ?? -1;
    this.statusDescription = init.statusDescription ?? '';
  }

  /** Plain data: the properties under their PowerShell names. */
  toJSON(): unknown {
    return toPlain(this);
  }

  plainView(w: PlainWalk): unknown {
    return {
      Activity: w.text(this.activity),
      ActivityId: this.activityId,
      CurrentOperation: w.text(this.currentOperation),
      ParentActivityId: this.parentActivityId,
      PercentComplete: this.percentComplete,
      RecordType: this.recordType,
      SecondsRemaining: this.secondsRemaining,
      StatusDescription: w.text(this.statusDescription),
    };
  }
}

function toMap<V>(init: Iterable<readonly [string, V]> | Record<string, V> | undefined): Map<string, V> {
  if (init === undefined) return new Map();
  if (init instanceof Map) return new Map(init as Map<string, V>);
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') return new Map(init as Iterable<[string, V]>);
  return new Map(Object.entries(init as Record<string, V>));
}

export interface PSObjectInit {
  typeNames?: readonly string[] | undefined;
  toStringText?: string | undefined;
  adapted?: Iterable<readonly [string, PSValue]> | Record<string, PSValue> | undefined;
  extended?: Iterable<readonly [string, PSMember]> | Record<string, PSMember> | undefined;
  value?: PSValue | undefined;
  list?: PSValue[] | undefined;
  listKind?: CollectionKind | undefined;
  dict?: [PSValue, PSValue][] | undefined;
}

// Parsed objects without <Props> or <MS> share this map instead of allocating
// two empty ones each (a large part of the parse time on typical output, see
// spec-notes/xml-reader.md). It refuses changes, so the sharing cannot leak.
// A plain Map with non-enumerable overrides rather than a subclass, so that
// deep-equality checks see an ordinary empty Map.
const NO_PROPERTIES = new Map<string, PSMember>();
Object.defineProperties(NO_PROPERTIES, {
  set: {
    value: () => {
      throw new UsageError('this object has no properties of this kind: use obj.setProperty(name, value) or assign a new Map');
    },
  },
  delete: { value: () => false },
  clear: { value: () => undefined },
});
Object.freeze(NO_PROPERTIES);

/** Internal: makes `new PSObject(BARE)` share NO_PROPERTIES (the reader's path). Not exported from the package. */
export const BARE: PSObjectInit = Object.freeze({});

export const TYPE_NAMES = {
  enum: ['System.Enum', 'System.ValueType', 'System.Object'],
  objectArray: ['System.Object[]', 'System.Array', 'System.Object'],
  arrayList: ['System.Collections.ArrayList', 'System.Object'],
  hashtable: ['System.Collections.Hashtable', 'System.Object'],
  stack: ['System.Collections.Stack', 'System.Object'],
  queue: ['System.Collections.Queue', 'System.Object'],
  pscustomobject: ['System.Management.Automation.PSCustomObject', 'System.Object'],
} as const;

/** An <Obj>. Fields are plain and mutable, so building one is just setting them. */
export class PSObject implements PlainViewable {
  /** <TN> type names, most specific first; undefined when the object has none. */
  typeNames: readonly string[] | undefined;
  /** <ToString>. */
  toStringText: string | undefined;
  /**
   * Adapted properties (<Props>), in document order. On a parsed object without
   * <Props> this is a shared empty map that refuses changes: use setProperty()
   * or assign a new Map.
   */
  adapted: Map<string, PSValue>;
  /** Extended properties (<MS>), in document order; a value may be a nested property set. Same note as `adapted`. */
  extended: Map<string, PSMember>;
  /**
   * The body of an enum or an extended primitive object: a primitive; or, for an
   * object whose base object is another object, that object.
   */
  value: PSValue | undefined;
  /** Items of a list, stack (topmost first) or queue (first first). */
  list: PSValue[] | undefined;
  listKind: CollectionKind;
  /** Dictionary entries in document order; keys may be any value. */
  dict: [PSValue, PSValue][] | undefined;

  constructor(init?: PSObjectInit) {
    this.typeNames = init?.typeNames === undefined ? undefined : Object.freeze([...init.typeNames]);
    this.toStringText = init?.toStringText;
    if (init === BARE) {
      this.adapted = NO_PROPERTIES as Map<string, PSValue>;
      this.extended = NO_PROPERTIES;
    } else {
      this.adapted = toMap(init?.adapted);
      this.extended = toMap(init?.extended);
    }
    this.value = init?.value;
    this.list = init?.list;
    this.listKind = init?.listKind ?? 'LST';
    this.dict = init?.dict;
  }

  /** Sets an extended (default) or adapted property, making the map first on an object that had none. */
  setProperty(name: string, value: PSMember, kind: 'extended' | 'adapted' = 'extended'): this {
    if (kind === 'adapted') {
      if (value instanceof PSPropertySet) throw new UsageError('a property set can only be an extended property');
      if (this.adapted === NO_PROPERTIES) this.adapted = new Map();
      this.adapted.set(name, value);
    } else {
      if (this.extended === NO_PROPERTIES) this.extended = new Map();
      this.extended.set(name, value);
    }
    return this;
  }

  /** A property by name: extended first, then adapted; exact case first, then ignoring case as PowerShell does. */
  get(name: string): PSMember | undefined {
    const e = this.extended.get(name);
    if (e !== undefined) return e;
    const a = this.adapted.get(name);
    if (a !== undefined) return a;
    const lower = name.toLowerCase();
    for (const m of [this.extended, this.adapted] as Map<string, PSMember>[]) {
      for (const [k, v] of m) if (k.toLowerCase() === lower) return v;
    }
    return undefined;
  }

  /** True when the object derives from System.Enum (by its type names). */
  get isEnum(): boolean {
    return this.typeNames !== undefined && this.typeNames.includes('System.Enum');
  }

  /** A PSCustomObject with extended properties (what [pscustomobject]@{...} sends). */
  static custom(properties: Record<string, PSMember> | Iterable<readonly [string, PSMember]>): PSObject {
    return new PSObject({ typeNames: TYPE_NAMES.pscustomobject, extended: properties });
  }

  /** A list; by default a System.Object[] as PowerShell sends arrays. */
  static list(items: PSValue[], typeNames: readonly string[] = TYPE_NAMES.objectArray, kind: CollectionKind = 'LST'): PSObject {
    return new PSObject({ typeNames, list: items, listKind: kind });
  }

  /** A dictionary; by default a System.Collections.Hashtable. */
  static dictionary(
    entries: Iterable<readonly [PSValue, PSValue]> | Record<string, PSValue>,
    typeNames: readonly string[] = TYPE_NAMES.hashtable,
  ): PSObject {
    const list: [PSValue, PSValue][] =
      typeof (entries as Iterable<unknown>)[Symbol.iterator] === 'function'
        ? [...(entries as Iterable<readonly [PSValue, PSValue]>)].map(([k, v]) => [k, v])
        : Object.entries(entries as Record<string, PSValue>);
    return new PSObject({ typeNames, dict: list });
  }

  /** An enum value (2.2.5.2.7): type names (System.Enum ... appended when missing), its name(s) and value. */
  static enum(typeName: string | readonly string[], name: string, value: PSPrimitive): PSObject {
    const names = typeof typeName === 'string' ? [typeName, ...TYPE_NAMES.enum] : [...typeName];
    if (!names.includes('System.Enum')) names.push(...TYPE_NAMES.enum);
    if (value === null || typeof value === 'string' || typeof value === 'boolean') throw new UsageError('an enum value must be an integer');
    return new PSObject({ typeNames: names, toStringText: name, value });
  }

  /** Plain data (plain.ts, docs/clixml.md "Plain view"), so JSON.stringify works on values. */
  toJSON(): unknown {
    return toPlain(this);
  }

  plainView(w: PlainWalk, depth: number): unknown {
    if (depth >= w.maxDepth) return w.text(this.toStringText ?? null);
    return w.enter(this, () => {
      if (this.list !== undefined) return this.list.map((x) => w.plain(x, depth + 1));
      if (this.dict !== undefined) return w.dict(this.dict, depth);
      if (this.value !== undefined) return w.plain(this.value, depth + 1);
      if (this.adapted.size === 0 && this.extended.size === 0) return this.toStringText === undefined ? {} : w.text(this.toStringText);
      return w.record(depth, this.adapted, this.extended);
    });
  }
}

export function isPSObject(v: unknown): v is PSObject {
  return v instanceof PSObject;
}

/** The tag name a value is written with (Obj for objects). */
export function clixmlTagOf(v: PSValue): string {
  if (v === null || v === undefined) return 'Nil';
  switch (typeof v) {
    case 'string':
      return 'S';
    case 'boolean':
      return 'B';
    case 'number':
      return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 && !Object.is(v, -0) ? 'I32' : 'Db';
  }
  if (v instanceof Uint8Array) return 'BA';
  if (v instanceof PSObject) return 'Obj';
  return (v as { tag: string }).tag;
}

/** Dictionary lookup with .NET-like key equality (primitives by type and value, objects by identity). */
export function dictGet(o: PSObject, key: PSValue): PSValue | undefined {
  if (o.dict === undefined) return undefined;
  for (const [k, v] of o.dict) if (sameKey(k, key)) return v;
  return undefined;
}

function sameKey(a: PSValue, b: PSValue): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof PSObject || b instanceof PSObject) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) return false;
  const ta = (a as { tag: string }).tag;
  // SecureStrings print as "[SecureString]": only the same instance is the same key.
  return ta !== 'SS' && ta === (b as { tag: string }).tag && String(a) === String(b);
}

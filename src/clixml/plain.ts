// The plain-JavaScript view of CLIXML values, for users who want data rather
// than types (JSON output, logs, `psremote decode`). Lossy by design; the
// mapping is the table in docs/clixml.md ("Plain view"):
//
//   objects -> records of their properties (adapted, then extended; extended
//   wins a name clash; property sets nest), lists -> arrays, dictionaries ->
//   records keyed by the key's plain text, enums and extended primitives -> their
//   value, 64-bit integers -> number when safe else decimal string, DateTime ->
//   its CLIXML ISO text, TimeSpan -> xs:duration text, byte[] -> base64,
//   SecureString -> "[SecureString]", NaN/±Infinity -> "NaN"/"Infinity"/"-Infinity".
//
// Shared objects are expanded where they occur; a cycle becomes null. Two
// budgets bound the work, since shared references (<Ref>) can make the
// expansion exponentially larger than the document: values produced, and
// characters of the strings and keys produced (each occurrence counted), so a
// 1 MB document of shared 1 KB strings is a LimitError, not a 1 GB JSON text
// and a RangeError. Without shared references the characters produced never
// exceed the document's, so the default (128 Mi) only stops expansion.

import { LimitError } from '../errors.js';
import { formatBase64 } from './numbers.js';
import { PSSecureString, jsonNumber } from './primitives.js';
import { PSDateTime, PSDuration } from './time.js';

/**
 * What a class of the value model (values.ts) implements to give its own plain
 * view; the walker calls it, so this file needs no import of values.ts, which
 * imports it for toJSON (one direction, no cycle).
 */
export interface PlainViewable {
  plainView(walk: PlainWalk, depth: number): unknown;
}

/** The walker as a value's plainView sees it: budgets, nesting and cycles are its business. */
export interface PlainWalk {
  readonly maxDepth: number;
  plain(v: unknown, depth: number): unknown;
  /** Counts a string's characters against the budget. */
  text<T extends string | null>(s: T): T;
  /** A record of the members of the maps in order (a later map wins a name clash). */
  record(depth: number, ...maps: Iterable<readonly [string, unknown]>[]): Record<string, unknown>;
  dict(entries: Iterable<readonly [unknown, unknown]>, depth: number): Record<string, unknown>;
  /** Runs `body` with `o` among the ancestors; null when `o` already is one (a cycle). */
  enter<T>(o: object, body: () => T): T | null;
}

const isViewable = (v: object): v is PlainViewable => typeof (v as Partial<PlainViewable>).plainView === 'function';

export interface PlainOptions {
  /** Nesting beyond this becomes the object's ToString text (or null). Default 100. */
  readonly maxDepth?: number | undefined;
  /** Total values produced; more is a LimitError. Default 1,000,000. */
  readonly maxNodes?: number | undefined;
  /** Total characters of strings and keys produced; more is a LimitError. Default 128 Mi. */
  readonly maxChars?: number | undefined;
}

export const DEFAULT_PLAIN_MAX_CHARS = 128 * 1024 * 1024;

class PlainBuilder implements PlainWalk {
  nodes = 0;
  chars = 0;
  readonly ancestors = new Set<object>();
  constructor(
    readonly maxDepth: number,
    readonly maxNodes: number,
    readonly maxChars: number,
  ) {}

  text<T extends string | null>(s: T): T {
    if (s !== null && (this.chars += s.length) > this.maxChars) throw new LimitError('plain view characters', this.maxChars, this.chars);
    return s;
  }

  define(out: Record<string, unknown>, k: string, v: unknown): void {
    this.text(k);
    define(out, k, v);
  }

  plain(v: unknown, depth: number): unknown {
    if (++this.nodes > this.maxNodes) throw new LimitError('plain view node count', this.maxNodes, this.nodes);
    if (v === null || v === undefined) return null;
    switch (typeof v) {
      case 'string':
        return this.text(v);
      case 'boolean':
        return v;
      case 'number':
        return plainNumber(v);
      case 'bigint':
        return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      case 'object':
        break;
      default:
        return null;
    }
    if (isViewable(v)) return v.plainView(this, depth);
    if (v instanceof Uint8Array) {
      if ((this.chars += Math.ceil(v.byteLength / 3) * 4) > this.maxChars) throw new LimitError('plain view characters', this.maxChars, this.chars);
      return formatBase64(v);
    }
    if (v instanceof PSDateTime || v instanceof PSDuration) return v.toString();
    if (v instanceof PSSecureString) return '[SecureString]';
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    // Every primitive wrapper's toJSON is its plain view.
    if (typeof (v as { tag?: unknown }).tag === 'string' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      return (v as { toJSON(): unknown }).toJSON();
    }
    return this.container(v, depth);
  }

  enter<T>(o: object, body: () => T): T | null {
    if (this.ancestors.has(o)) return null;
    this.ancestors.add(o);
    try {
      return body();
    } finally {
      this.ancestors.delete(o);
    }
  }

  record(depth: number, ...maps: Iterable<readonly [string, unknown]>[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const m of maps) for (const [k, x] of m) this.define(out, k, this.plain(x, depth + 1));
    return out;
  }

  dict(entries: Iterable<readonly [unknown, unknown]>, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries) {
      const pk = typeof k === 'string' ? k : this.plain(k, depth + 1);
      this.define(out, typeof pk === 'string' ? pk : pk !== null && typeof pk === 'object' ? JSON.stringify(pk) : String(pk), this.plain(x, depth + 1));
    }
    return out;
  }

  // Plain JavaScript containers (values a caller built, not read from CLIXML).
  container(v: object, depth: number): unknown {
    if (depth >= this.maxDepth || this.ancestors.has(v)) return null;
    this.ancestors.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => this.plain(x, depth + 1));
      if (v instanceof Map) return this.dict(v, depth);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) this.define(out, k, this.plain(x, depth + 1));
      return out;
    } finally {
      this.ancestors.delete(v);
    }
  }
}

// Own data property even for "__proto__".
function define(out: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const plainNumber = jsonNumber;

/** The plain-JavaScript view of a value (see the mapping above). */
export function toPlain(v: unknown, options: PlainOptions = {}): unknown {
  return new PlainBuilder(options.maxDepth ?? 100, options.maxNodes ?? 1_000_000, options.maxChars ?? DEFAULT_PLAIN_MAX_CHARS).plain(v, 0);
}

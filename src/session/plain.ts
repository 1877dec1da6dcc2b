// Plain JavaScript views of PowerShell values for users who just want data
// (JSON output, logs). INTERIM: reads the PSRP core's current CLIXML value
// shapes; it becomes a re-export of src/clixml's toPlain when that lands.

import type { PSValue } from '../psrp/index.js';

interface Shape {
  kind?: string;
  tag?: string;
  text?: string;
  list?: unknown[];
  dict?: [unknown, unknown][];
  props?: Map<string, unknown>;
  adapted?: Map<string, unknown>;
  value?: unknown;
  toStringText?: string;
  typeNames?: string[];
}

/** A JSON-able view: objects become records of their properties, lists arrays, primitives their value. */
export function toPlain(v: PSValue, depth = 0): unknown {
  if (depth > 64) return null;
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : v;
  const o = v as Shape;
  if (o.kind === 'prim') return o.tag === 'I64' || o.tag === 'U64' ? numberIfSafe(o.text ?? '') : o.text;
  if (o.kind !== 'obj') return v;
  if (o.list) return o.list.map((x) => toPlain(x as PSValue, depth + 1));
  if (o.dict) return Object.fromEntries(o.dict.map(([k, x]) => [String(toPlain(k as PSValue, depth + 1)), toPlain(x as PSValue, depth + 1)]));
  const props = new Map<string, unknown>([...(o.adapted ?? []), ...(o.props ?? [])]);
  if (props.size === 0) return o.value !== undefined ? toPlain(o.value as PSValue, depth + 1) : (o.toStringText ?? null);
  return Object.fromEntries([...props].map(([k, x]) => [k, toPlain(x as PSValue, depth + 1)]));
}

function numberIfSafe(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** How PowerShell would print a value on one line: its ToString, or its plain view. */
export function toDisplayString(v: PSValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  const o = v as Shape;
  if (o.kind === 'prim') return o.text ?? '';
  if (o.toStringText !== undefined) return o.toStringText;
  return JSON.stringify(toPlain(v));
}

/** The message of a warning/verbose/debug/information/error record. */
export function recordMessage(v: PSValue): string {
  if (typeof v === 'string') return v;
  const o = v as Shape;
  for (const key of ['InformationalRecord_Message', 'Message', 'MessageData', 'ErrorDetails_Message', 'Exception']) {
    const x = o.props?.get(key) ?? o.adapted?.get(key);
    if (typeof x === 'string') return x;
    if (x && typeof x === 'object') {
      const inner = recordMessage(x as PSValue);
      if (inner) return inner;
    }
  }
  return o.toStringText ?? '';
}

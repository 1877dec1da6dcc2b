// Plain JavaScript views of CLIXML values (JSON output, logs, `psremote decode`).
// INTERIM: reads the value shapes of the PSRP core's current CLIXML codec
// (clixml-interim.ts); it becomes src/clixml's toPlain when that layer lands.

import type { PSValue } from './clixml-bridge.js';

export interface Shape {
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
  if (o.kind === 'prim') {
    if (o.tag === 'I64' || o.tag === 'U64') return numberIfSafe(o.text ?? '');
    // Doubles and singles are numbers in JSON too; NaN and ±INF have no JSON form.
    if (o.tag === 'Db' || o.tag === 'Sg') return finiteOrText(o.text ?? '');
    return o.text;
  }
  if (o.kind !== 'obj') return v;
  if (o.list) return o.list.map((x) => toPlain(x as PSValue, depth + 1));
  if (o.dict) return Object.fromEntries(o.dict.map(([k, x]) => [String(toPlain(k as PSValue, depth + 1)), toPlain(x as PSValue, depth + 1)]));
  const props = new Map<string, unknown>([...(o.adapted ?? []), ...(o.props ?? [])]);
  if (props.size === 0) return o.value !== undefined ? toPlain(o.value as PSValue, depth + 1) : (o.toStringText ?? null);
  return Object.fromEntries([...props].map(([k, x]) => [k, toPlain(x as PSValue, depth + 1)]));
}

function finiteOrText(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

function numberIfSafe(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}


// Display helpers for PowerShell values (the CLI, logs); toPlain lives in the
// PSRP core beside the CLIXML codec it reads.

import type { PSValue } from '../psrp/index.js';
import { toPlain, type Shape } from '../psrp/plain.js';

export { toPlain };

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

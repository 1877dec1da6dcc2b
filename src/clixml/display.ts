// Display helpers for PowerShell values (the CLI, logs). The plain-data view
// itself is the clixml layer's toPlain (docs/clixml.md, "Plain view").

import { PSObject, type PSValue } from './values.js';
import { readErrorRecord, readInformationRecord, readInformationalRecord, readProgressRecord } from './records.js';
import { toPlain } from './plain.js';

/** How PowerShell would print a value on one line: its ToString, or its plain view. */
export function toDisplayString(v: PSValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (v instanceof PSObject) {
    if (v.toStringText !== undefined) return v.toStringText;
    if (v.value !== undefined && !(v.value instanceof PSObject)) return toDisplayString(v.value);
    return JSON.stringify(toPlain(v));
  }
  if (v instanceof Uint8Array || Array.isArray(v)) return JSON.stringify(toPlain(v));
  const s = String(v);
  return s === '[object Object]' ? JSON.stringify(toPlain(v)) : s;
}

/** The message of a warning/verbose/debug/information/error/progress record. */
export function recordMessage(v: PSValue): string {
  if (typeof v === 'string') return v;
  const c = v as Parameters<typeof readErrorRecord>[0];
  const informational = readInformationalRecord(c);
  if (informational !== undefined) return informational.message;
  const information = readInformationRecord(c);
  if (information !== undefined) return information.message;
  const error = readErrorRecord(c);
  if (error !== undefined) return error.message;
  const progress = readProgressRecord(c);
  if (progress !== undefined) return progress.statusDescription ? `${progress.activity}: ${progress.statusDescription}` : progress.activity;
  if (v instanceof PSObject) return v.toStringText ?? (v.value !== undefined ? toDisplayString(v.value) : '');
  return v === null || v === undefined ? '' : toDisplayString(v);
}

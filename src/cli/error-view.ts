// An ErrorRecord as one line, after PowerShell 7's ConciseView: the command (or
// the activity, or the exception's type) before the message, then where in the
// user's script it happened, from the record's InvocationInfo (PositionMessage's
// first line, `At line:1 char:6`) or, when that belongs to the wrapper the CLI
// ran the script in (Write-Error reports its caller's invocation) or is missing
// (a terminating `throw` is serialized without one), the first frame of the
// ScriptStackTrace (`At line:2`). `--debug` adds PositionMessage and the
// script stack trace, indented, on the lines after.

import { readErrorRecord } from '../clixml/records.js';
import type { PSValue } from '../clixml/values.js';
import { visibleText } from './terminal-text.js';

// The CLI's formatting wrappers (format-view.ts, shell/remote.ts) start with this text.
const WRAPPER = /^\s*\.\s*(\{\s*try\s*\{\s*\.\s*)?\(\[scriptblock\]::Create\(/i;

export interface ErrorView {
  /** `Get-Item: Cannot find path '/nope' because it does not exist. [At line:1 char:6]` */
  readonly line: string;
  /** With --debug: the position with its marker line and the script stack trace. */
  readonly detail: readonly string[];
}

function shortType(names: readonly string[] | undefined): string | undefined {
  const n = names?.[0];
  return n ? n.slice(n.lastIndexOf('.') + 1) : undefined;
}

/** Where the error happened, as PowerShell says it (`At line:1 char:6`), or undefined. */
export function errorPosition(record: PSValue): string | undefined {
  const r = readErrorRecord(record);
  if (!r) return undefined;
  const ii = r.invocationInfo;
  if (ii && !(ii.line !== undefined && WRAPPER.test(ii.line))) {
    const first = ii.positionMessage?.split(/\r?\n/)[0]?.trim();
    if (first) return first;
    if (ii.scriptLineNumber && ii.scriptLineNumber > 0) return `At ${ii.scriptName ? `${ii.scriptName}:${ii.scriptLineNumber}` : `line:${ii.scriptLineNumber}`}${ii.offsetInLine ? ` char:${ii.offsetInLine}` : ''}`;
  }
  const frame = /^at [^,]*, (.*): line (\d+)/m.exec(r.scriptStackTrace ?? '');
  if (frame) return frame[1] === '<No file>' ? `At line:${frame[2]}` : `At ${frame[1]}:${frame[2]}`;
  return undefined;
}

/** The one-line view of an error record (or of a plain message, for records that are strings). */
export function errorView(record: PSValue): ErrorView {
  const r = readErrorRecord(record);
  if (!r) return { line: visibleText(typeof record === 'string' ? record : String(record ?? '')).replace(/\n/g, ' '), detail: [] };
  const source = r.invocationInfo?.commandName || r.category.activity || shortType(r.exceptionTypeNames);
  const where = errorPosition(record);
  const message = r.message.replace(/\s*\r?\n\s*/g, ' ').trim();
  const line = visibleText(`${source && !message.startsWith(`${source}:`) ? `${source}: ` : ''}${message}${where ? ` [${where}]` : ''}`);
  const detail: string[] = [];
  const pm = r.invocationInfo?.positionMessage;
  if (pm && !(r.invocationInfo?.line !== undefined && WRAPPER.test(r.invocationInfo.line))) detail.push(...pm.split(/\r?\n/));
  if (r.scriptStackTrace) detail.push(...r.scriptStackTrace.split(/\r?\n/));
  if (r.fullyQualifiedErrorId) detail.push(`FullyQualifiedErrorId: ${r.fullyQualifiedErrorId}`);
  return { line, detail: detail.map((l) => `    ${visibleText(l)}`) };
}

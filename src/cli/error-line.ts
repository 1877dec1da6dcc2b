// The one line `psremote` ends with when a command fails: `psremote: <message>
// (<code>)`, the message escaped (it quotes what servers and files said:
// terminal-text.ts); a failed pipeline adds where in the script it failed, as
// the error stream does (error-view.ts). The details (the remote position and
// script stack, then the local stack) only with --debug or --verbose.

import { PsRemoteError } from '../errors.js';
import type { PSValue } from '../clixml/values.js';
import { PipelineFailedError } from '../session/powershell.js';
import { errorPosition, errorView } from './error-view.js';
import { visibleText } from './terminal-text.js';

export function errorLine(e: unknown): string {
  if (e instanceof PipelineFailedError) {
    const where = errorPosition(e.errorRecord as PSValue);
    return `psremote: ${visibleText(e.message)}${where ? ` [${visibleText(where)}]` : ''} (${e.code})`;
  }
  if (e instanceof PsRemoteError) return `psremote: ${visibleText(e.message)} (${e.code})`;
  return `psremote: ${visibleText(String((e as Error)?.message ?? e))}`;
}

export function errorDetail(e: unknown): string {
  const lines: string[] = [];
  if (e instanceof PipelineFailedError) lines.push(...errorView(e.errorRecord as PSValue).detail);
  if (e instanceof Error && e.stack) lines.push(e.stack);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

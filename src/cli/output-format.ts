// How one output object is printed by `invoke` and `session`: its display
// string (default), a JSON line (--json), or its CLIXML as the server sent it
// (--clixml: one <Objs> document per line, for tools that read PowerShell's own
// serialization, e.g. [System.Management.Automation.PSSerializer]::Deserialize).

import { serializeClixmlDocument } from '../clixml/index.js';
import type { PSValue } from '../clixml/index.js';
import { toDisplayString } from '../clixml/display.js';
import { toPlain } from '../clixml/plain.js';
import { visibleText } from './terminal-text.js';

export type OutputMode = 'text' | 'json' | 'clixml';

export function outputMode(f: { json?: boolean; clixml?: boolean }): OutputMode {
  return f.clixml ? 'clixml' : f.json ? 'json' : 'text';
}

export function formatOutput(v: PSValue, mode: OutputMode): string {
  if (mode === 'json') return JSON.stringify(toPlain(v));
  if (mode === 'clixml') return serializeClixmlDocument([{ value: v }]).replace(/\r?\n/g, '');
  // Text for a terminal: controls in what the server sent are shown as escapes (terminal-text.ts).
  return visibleText(toDisplayString(v));
}

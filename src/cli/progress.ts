// Write-Progress on a terminal: one line on stderr, redrawn in place, like
// PowerShell's console host draws its progress bar; cleared when the activity
// completes or the pipeline ends. Nothing is written when stderr is not a
// terminal (PowerShell does not put progress in redirected output either).

import { toPlain } from '../clixml/plain.js';
import { visibleText } from './terminal-text.js';

interface ProgressView {
  readonly Activity?: unknown;
  readonly StatusDescription?: unknown;
  readonly PercentComplete?: unknown;
  readonly SecondsRemaining?: unknown;
  readonly Type?: unknown;
}

export interface ProgressLine {
  update(record: unknown): void;
  end(): void;
}

/** The line PowerShell would show for a progress record, `width` columns at most. */
export function formatProgress(record: unknown, width = 80): string | undefined {
  const p = toPlain(record as never) as ProgressView | null;
  if (!p || typeof p !== 'object') return undefined;
  if (p.Type === 1 || p.Type === 'Completed') return undefined;
  const activity = typeof p.Activity === 'string' ? visibleText(p.Activity) : '';
  const status = typeof p.StatusDescription === 'string' ? visibleText(p.StatusDescription.trim()) : '';
  const pct = typeof p.PercentComplete === 'number' && p.PercentComplete >= 0 ? Math.min(100, p.PercentComplete) : undefined;
  const secs = typeof p.SecondsRemaining === 'number' && p.SecondsRemaining >= 0 ? ` ${p.SecondsRemaining}s left` : '';
  const text = `${activity}${status ? `: ${status}` : ''}`;
  if (pct === undefined) return `${text}${secs}`.slice(0, width);
  const barWidth = 20;
  const filled = Math.round((pct / 100) * barWidth);
  const bar = ` [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${pct}%${secs}`;
  return `${text.slice(0, Math.max(0, width - bar.length))}${bar}`;
}

export function progressLine(stream: NodeJS.WritableStream): ProgressLine {
  const tty = stream as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  let shown = false;
  const clear = () => {
    if (shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  if (!tty.isTTY) return { update: () => undefined, end: () => undefined };
  return {
    update(record) {
      const line = formatProgress(record, Math.max(20, (tty.columns ?? 80) - 1));
      if (line === undefined) return clear();
      stream.write(`\r\x1b[2K${line}`);
      shown = true;
    },
    end: clear,
  };
}

/** Draws an invocation's progress records until its stream ends. */
export async function drawProgress(inv: { readonly streams: { readonly progress: AsyncIterable<unknown> } }, io: { readonly stderr: NodeJS.WritableStream }): Promise<void> {
  const line = progressLine(io.stderr);
  try {
    for await (const r of inv.streams.progress) line.update(r);
  } finally {
    line.end();
  }
}

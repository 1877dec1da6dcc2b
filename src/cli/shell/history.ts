// Command history of `psremote shell`, one file per host and user under the
// config directory (history/<host>@<user>), newest line last as shells keep it.
// Only commands typed at the PS prompt are written (terminal.ts keeps answers
// to Read-Host and secret prompts out of the history).

import { mkdirSync, writeFileSync } from 'node:fs';
import { FILE_LIMITS, readBoundedText } from '../bounded-file.js';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PSREMOTE_HOME) return env.PSREMOTE_HOME;
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'psremote');
}

/** The history file for a host and user; names reduced to file-safe characters. */
export function historyPath(host: string, user: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const safe = (s: string) => s.replace(/^[a-z]+:\/\//i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
  return join(configDir(env), 'history', `${safe(host)}@${safe(user ?? 'default')}`);
}

/** History lines, newest first (readline's order); none when the file is missing, unreadable or over its limit. */
export function loadHistory(path: string): string[] {
  try {
    return readBoundedText(path, 'history', FILE_LIMITS.history).split('\n').filter(Boolean).reverse();
  } catch {
    return [];
  }
}

export function saveHistory(path: string, newestFirst: readonly string[]): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${[...newestFirst].reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // A history that cannot be written must not end the session.
  }
}

// Files the CLI reads that the user names (the config file, a script for -f,
// a hosts file, keys and certificates, a users file) are read through here, so
// that /dev/zero, a FIFO that never ends or a huge file by mistake is one typed
// error naming the file and the limit, after at most the limit in memory: the
// size stat reports is not trusted (a FIFO or /dev/zero reports 0).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LimitError, UsageError } from '../errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The limits, by what is read (generous for any real file of the kind). */
export const FILE_LIMITS = {
  /** ~/.config/psremote/config.json or PSREMOTE_CONFIG. */
  config: 1 * MiB,
  /** invoke -f script.ps1 (PowerShell's own limit for a script sent to a session is lower than this). */
  script: 16 * MiB,
  /** invoke --queue --hosts-file: a host a line; a million 32-byte names fit. */
  hosts: 32 * MiB,
  /** A PEM or DER key or certificate, an SSH identity file, a keytab or ccache, a CA bundle, check's --expect file. */
  key: 1 * MiB,
  /** serve --users: a user a line. */
  users: 16 * MiB,
  /** A shell history file (psremote writes a bounded number of lines; a bigger one is not ours). */
  history: 4 * MiB,
} as const;

const CHUNK = 64 * KiB;

/**
 * The bytes of `path`, at most `limit` of them; more is a LimitError naming the
 * file, a file that cannot be opened or read a UsageError with the errno code.
 * `what` names the file as the user gave it (`--hosts-file`, `config`).
 */
export function readBoundedFile(path: string, what: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new UsageError(`cannot read ${what} ${path}: it is a directory`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte past the limit tells "exactly the limit" from "more".
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw new LimitError(`${what} size`, limit, total, `${path}, where reading stopped`);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** The same as UTF-8 text, without a leading byte order mark (Windows editors write one in .ps1 and .json files). */
export function readBoundedText(path: string, what: string, limit: number): string {
  const text = readBoundedFile(path, what, limit).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

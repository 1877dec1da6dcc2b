// A recording written as it happens, one JSON line per exchange (the format in
// fixtures/README.md), so that a server or client that is killed still leaves
// everything up to that point. Credentials are scrubbed before a line is
// written; nothing secret ever reaches the file.
//
// The file still holds commands and their output, so it is the owner's alone:
// opened once without following a symlink (O_NOFOLLOW: a link planted at the
// path is refused, never written through), created 0600, and an existing file
// with wider permissions is narrowed to 0600 before anything is written. Every
// line goes to that one descriptor, so the path cannot be swapped later.

import { closeSync, constants, fchmodSync, fstatSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { Operation } from '../wsman/namespaces.js';
import { scrubRecording, type RecordedResponse } from './recording.js';

export interface RecordedExchange {
  readonly operation: Operation | string;
  readonly request: string;
  readonly response: RecordedResponse;
  readonly delayMs?: number;
  readonly connectionError?: boolean;
}

export class RecordingFile {
  readonly path: string;
  #count = 0;
  #fd: number | undefined;

  constructor(path: string, source: string) {
    this.path = path;
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ELOOP' ? 'it is a symbolic link (never followed)' : (e as Error).message;
      throw new UsageError(`cannot record to ${path}: ${why}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw new UsageError(`cannot record to ${path}: not a regular file`);
    }
    if ((st.mode & 0o077) !== 0) fchmodSync(fd, 0o600);
    this.#fd = fd;
    this.#write(`${JSON.stringify({ format: 'psremote-recording', version: 1, source })}\n`);
  }

  #write(text: string): void {
    if (this.#fd === undefined) return;
    const b = Buffer.from(text, 'utf8');
    for (let off = 0; off < b.length; ) off += writeSync(this.#fd, b, off);
  }

  /** Exchanges written so far. */
  get count(): number {
    return this.#count;
  }

  append(x: RecordedExchange): void {
    const clean = scrubRecording({
      source: '',
      format: 'psremote',
      exchanges: [
        {
          operation: x.operation as Operation,
          action: undefined,
          resourceUri: undefined,
          shellId: undefined,
          commandId: undefined,
          signalCode: undefined,
          request: x.request,
          response: x.response,
        },
      ],
    }).exchanges[0]!;
    const line = {
      operation: x.operation,
      request: clean.request,
      response: clean.response,
      ...(x.delayMs !== undefined ? { delayMs: x.delayMs } : {}),
      ...(x.connectionError ? { connectionError: true } : {}),
    };
    this.#write(`${JSON.stringify(line)}\n`);
    this.#count++;
  }

  close(): void {
    // Every line is already written; nothing is buffered.
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

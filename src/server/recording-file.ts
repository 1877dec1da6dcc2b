// A recording written as it happens, one JSON line per exchange (the format in
// fixtures/README.md), so that a server or client that is killed still leaves
// everything up to that point. Credentials are scrubbed before a line is
// written; nothing secret ever reaches the file.

import { appendFileSync, writeFileSync } from 'node:fs';
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

  constructor(path: string, source: string) {
    this.path = path;
    writeFileSync(path, `${JSON.stringify({ format: 'psremote-recording', version: 1, source })}\n`, { mode: 0o600 });
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
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
    this.#count++;
  }

  close(): void {
    // Every line is already on disk; nothing is buffered.
  }
}

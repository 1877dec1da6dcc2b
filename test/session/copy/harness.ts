// What the file-transfer suites share: the local endpoint with real pwsh behind
// it (`serve --engine real`), a pool on it, scratch folders, and hashes the
// test computes itself (never only psremote's).

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEndpoint, type EndpointOptions, type LocalEndpoint } from '../../../src/server/endpoint.js';
import { openSession } from '../../../src/session/open.js';
import type { RunspacePool } from '../../../src/session/runspace-pool.js';
import { pwshEngineCommand } from '../../helpers/pwsh.js';

export interface CopyRig {
  readonly ep: LocalEndpoint;
  readonly pool: RunspacePool;
  readonly dir: string;
  close(): Promise<void>;
}

export async function copyRig(pwsh: string, options: { maxRunspaces?: number; endpoint?: EndpointOptions } = {}): Promise<CopyRig> {
  const ep = await startEndpoint({ realEngine: pwshEngineCommand(pwsh), ...options.endpoint });
  const pool = await openSession(ep.url, { signal: AbortSignal.timeout(120_000), maxRunspaces: options.maxRunspaces ?? 2 });
  const dir = mkdtempSync(join(tmpdir(), 'psremote-copy-'));
  return {
    ep,
    pool,
    dir,
    async close() {
      await pool.close(AbortSignal.timeout(30_000)).catch(() => undefined);
      await ep.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** A file of `size` random bytes, written in pieces (never all in memory). */
export async function randomFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  for (let left = size; left > 0; ) {
    const n = Math.min(left, 1 << 20);
    if (!out.write(randomBytes(n))) await new Promise<void>((r) => out.once('drain', () => r()));
    left -= n;
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

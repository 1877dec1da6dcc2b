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

/**
 * A fault for the endpoint's `rewrite` action: flips one base64 character in the
 * middle of the first long base64 run inside the first big <rsp:Stream> of a SOAP
 * body ('A' <-> 'B': still base64, other bytes), which no layer below the copy notices.
 */
export function corruptOnce(): { rewrite: (soap: string) => string; done: () => boolean } {
  let done = false;
  return {
    done: () => done,
    rewrite(soap) {
      if (done) return soap;
      return soap.replace(/(<rsp:Stream\b[^>]*>)([^<]{20000,})(<\/rsp:Stream>)/, (all, open: string, b64: string, close: string) => {
        const psrp = Buffer.from(b64, 'base64');
        const run = /[A-Za-z0-9+/]{5000,}/.exec(psrp.toString('latin1'));
        if (!run || done) return all;
        const at = run.index + Math.floor(run[0].length / 2);
        psrp[at] = psrp[at] === 0x41 ? 0x42 : 0x41;
        done = true;
        return `${open}${psrp.toString('base64')}${close}`;
      });
    },
  };
}

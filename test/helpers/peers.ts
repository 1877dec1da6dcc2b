// What test/helpers/peers-setup.ts (vitest globalSetup) found out about the
// external peers, for the suites: the path of the real PowerShell engine host,
// or why it is not there. Suites use describeWithPeer(): skipped with the reason
// printed, or failed when PSREMOTE_REQUIRE_PEERS=true (CI must not skip them).

import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { PEERS_FILE, type PeersStatus } from './peers-file.js';

export { PEERS_FILE, type PeersStatus };

export function peersStatus(): PeersStatus {
  if (!existsSync(PEERS_FILE)) return { realEngine: { available: false, reason: `${PEERS_FILE} is missing: the vitest globalSetup did not run` } };
  return JSON.parse(readFileSync(PEERS_FILE, 'utf8')) as PeersStatus;
}

/** The real-engine host executable (apphost), or undefined. */
export function realEngineHost(): string | undefined {
  const s = peersStatus().realEngine;
  return s.available ? s.host : undefined;
}

/** describe() that needs the real PowerShell engine peer. */
export function describeWithRealEngine(name: string, body: (host: string) => void): void {
  const s = peersStatus().realEngine;
  if (s.available) {
    describe(name, () => body(s.host));
    return;
  }
  if (process.env.PSREMOTE_REQUIRE_PEERS === 'true') {
    describe(name, () => {
      it('needs the real PowerShell engine peer', () => {
        throw new Error(`real PowerShell engine peer unavailable (PSREMOTE_REQUIRE_PEERS=true): ${s.reason}`);
      });
    });
    return;
  }
  process.stderr.write(`[peers] skipping "${name}": ${s.reason}\n`);
  describe.skip(`${name} (skipped: ${s.reason})`, () => body(''));
}

// What test/helpers/peers-setup.ts (vitest globalSetup) found out about the
// external peers, for the suites: the path of the real PowerShell engine host,
// whether sshd can run, or why not. Suites use describeWithPeers(): skipped with
// the reason printed, or failed when PSREMOTE_REQUIRE_PEERS=true (CI must not
// skip them).

import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { PEERS_FILE, type PeersStatus } from './peers-file.js';

export { PEERS_FILE, type PeersStatus };

export function peersStatus(): PeersStatus {
  if (!existsSync(PEERS_FILE)) {
    const reason = `${PEERS_FILE} is missing: the vitest globalSetup did not run`;
    return { realEngine: { available: false, reason }, sshd: { available: false, reason } };
  }
  return JSON.parse(readFileSync(PEERS_FILE, 'utf8')) as PeersStatus;
}

/** The real-engine host executable (apphost), or undefined. */
export function realEngineHost(): string | undefined {
  const s = peersStatus().realEngine;
  return s.available ? s.host : undefined;
}

/** describe() that needs some peers; the body gets the real-engine host path ('' when skipped). */
export function describeWithPeers(name: string, needs: readonly (keyof PeersStatus)[], body: (host: string) => void): void {
  const status = peersStatus();
  const missing = needs
    .map((n) => [n, status[n] ?? { available: false as const, reason: 'not checked by the globalSetup' }] as const)
    .filter(([, s]) => !s.available);
  if (missing.length === 0) {
    const engine = status.realEngine;
    describe(name, () => body(engine.available ? engine.host : ''));
    return;
  }
  const reason = missing.map(([n, s]) => `${n}: ${s.available ? '' : s.reason}`).join('; ');
  if (process.env.PSREMOTE_REQUIRE_PEERS === 'true') {
    describe(name, () => {
      it(`needs ${needs.join(' and ')}`, () => {
        throw new Error(`peers unavailable (PSREMOTE_REQUIRE_PEERS=true): ${reason}`);
      });
    });
    return;
  }
  process.stderr.write(`[peers] skipping "${name}": ${reason}\n`);
  describe.skip(`${name} (skipped: ${reason})`, () => body(''));
}

/** describe() that needs the real PowerShell engine peer. */
export function describeWithRealEngine(name: string, body: (host: string) => void): void {
  describeWithPeers(name, ['realEngine'], body);
}

// Suites that drive the built CLI in a real terminal (tmux send-keys and
// capture-pane) against the endpoint on real pwsh. Without tmux they are
// skipped with the reason in their name; with PSREMOTE_REQUIRE_PEERS=true (CI,
// where .ci/run installs tmux) they fail instead.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeWithPwsh } from './pwsh.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export function describeWithTmux(name: string, body: (pwsh: string) => void): void {
  if (hasTmux) describeWithPwsh(name, body);
  else if (process.env.PSREMOTE_REQUIRE_PEERS === 'true') describe(name, () => it('needs tmux', () => expect.fail('tmux is not installed (PSREMOTE_REQUIRE_PEERS=true); .ci/run installs it')));
  else describe.skip(`${name} (skipped: tmux is not installed)`, () => body(''));
}

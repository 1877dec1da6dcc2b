// Debian's python3-winrm (pywinrm 0.3.x), an independent WinRM client, as a peer
// for the local endpoint. `.ci/run` installs it; without it the suites that need
// it skip with a reason, except on CI (PSREMOTE_REQUIRE_PEERS=true), where a
// missing peer is a failure.
import { spawnSync } from 'node:child_process';

export const SYSTEM_PYTHON = '/usr/bin/python3';

export function pywinrmAvailable(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', 'import winrm'], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `${SYSTEM_PYTHON} not found (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: 'python3-winrm is not installed (apt-get install python3-winrm)' };
  return { ok: true };
}

export function requirePeers(): boolean {
  return process.env.PSREMOTE_REQUIRE_PEERS === 'true';
}

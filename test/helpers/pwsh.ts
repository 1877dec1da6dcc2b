// Real PowerShell (`pwsh`, from NuGet: `dotnet tool install --global PowerShell
// --version 7.6.9`, which .ci/run does when it is missing) for the suites that
// need a real server-side file system behind `serve --engine real`. Found on
// PSREMOTE_PWSH, PATH or ~/.dotnet/tools; like describeWithPeers, a missing pwsh
// skips the suite with the reason printed, or fails it when PSREMOTE_REQUIRE_PEERS=true.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

function candidates(): string[] {
  const out: string[] = [];
  if (process.env.PSREMOTE_PWSH) out.push(process.env.PSREMOTE_PWSH);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) out.push(join(dir, 'pwsh'));
  out.push(join(homedir(), '.dotnet', 'tools', 'pwsh'));
  return out;
}

let found: { path?: string; version?: string; reason?: string } | undefined;

/** The pwsh executable and its version, or why there is none. */
export function findPwsh(): { path?: string; version?: string; reason?: string } {
  if (found) return found;
  for (const c of candidates()) {
    if (!existsSync(c)) continue;
    const r = spawnSync(c, ['-NoLogo', '-NoProfile', '-Command', '$PSVersionTable.PSVersion.ToString()'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return (found = { path: c, version: r.stdout.trim() });
    found = { reason: `${c} did not run: ${(r.stderr || String(r.error ?? r.status)).slice(0, 200)}` };
  }
  return (found ??= { reason: 'pwsh not found (PSREMOTE_PWSH, PATH, ~/.dotnet/tools): dotnet tool install --global PowerShell --version 7.6.9' });
}

/** The engine command line `serve --engine real` runs for this pwsh. */
export function pwshEngineCommand(pwsh: string): string[] {
  return [pwsh, '-s', '-NoLogo', '-NoProfile'];
}

/** The same, with more arguments (`-ConfigurationFile FILE.pssc`). */
export function pwshServer(pwsh: string, ...more: string[]): string[] {
  return [...pwshEngineCommand(pwsh), ...more];
}

/** describe() that needs real pwsh; the body gets its path ('' when skipped). */
export function describeWithPwsh(name: string, body: (pwsh: string) => void): void {
  const p = findPwsh();
  if (p.path) {
    describe(name, () => body(p.path!));
    return;
  }
  if (process.env.PSREMOTE_REQUIRE_PEERS === 'true') {
    describe(name, () => {
      it('needs pwsh', () => {
        throw new Error(`pwsh unavailable (PSREMOTE_REQUIRE_PEERS=true): ${p.reason}`);
      });
    });
    return;
  }
  process.stderr.write(`[peers] skipping "${name}": ${p.reason}\n`);
  describe.skip(`${name} (skipped: ${p.reason})`, () => body(''));
}

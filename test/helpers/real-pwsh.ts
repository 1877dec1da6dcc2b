// Real PowerShell for the suites that need PowerShell's real cmdlets: pwsh from
// NuGet (`dotnet tool install --global PowerShell --version 7.6.9`, which
// .ci/run does), found on PATH or where dotnet puts global tools. Suites are
// skipped with the reason without it, and fail on CI (PSREMOTE_REQUIRE_PEERS).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';

export function findPwsh(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), join(homedir(), '.dotnet', 'tools')];
  return dirs.map((d) => join(d, 'pwsh')).find((p) => existsSync(p));
}

/** The argv of `pwsh -s` (PowerShell's OutOfProc server), with more arguments. */
export function pwshServer(pwsh: string, ...more: string[]): string[] {
  return [pwsh, '-s', '-NoLogo', '-NoProfile', ...more];
}

export function describeWithPwsh(name: string, body: (pwsh: string) => void): void {
  const pwsh = findPwsh();
  if (pwsh) describe(name, () => body(pwsh));
  else if (process.env.PSREMOTE_REQUIRE_PEERS === 'true') describe(name, () => it('needs pwsh', () => expect.fail('pwsh is not installed (PSREMOTE_REQUIRE_PEERS=true); .ci/run installs it')));
  else describe.skip(`${name} (skipped: pwsh is not installed)`, () => body(''));
}

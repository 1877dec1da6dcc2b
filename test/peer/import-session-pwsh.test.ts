// Import-PSSession / Export-PSSession against real PowerShell: pwsh 7.6.9 (from
// NuGet, `dotnet tool install --global PowerShell`) behind psremote's WinRM
// endpoint, so the metadata is that of PowerShell's real cmdlets
// (Microsoft.PowerShell.Management and Utility). `psremote export-session`
// (the built CLI, a child process) writes the module; tsc --strict compiles it
// with a caller; the test then calls the generated functions on a session. The
// restricted case is a real .pssc file applied by pwsh -ConfigurationFile, the
// same InitialSessionState.CreateFromSessionConfigurationFile JEA uses.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { tsc, typescriptProject } from '../helpers/typescript-project.js';
import { describeWithPwsh } from '../helpers/pwsh.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

type Psremote = typeof import('../../src/index.js');
const work = mkdtempSync(join(tmpdir(), 'psremote-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describeWithPwsh('Import-PSSession and Export-PSSession against real pwsh', (pwsh) => {
  // The package as a user imports it: the built dist, the same module the generated code loads.
  const load = async () => (await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)) as Psremote;

  it('export-session writes a module that compiles under --strict and whose functions run on the session', async () => {
    const ps = await load();
    const ep = await ps.startEndpoint({ realEngine: [pwsh, '-s', '-NoLogo', '-NoProfile'] });
    const dir = join(work, 'full');
    typescriptProject(dir);
    try {
      const out = await run(['export-session', ep.url, '--out', join(dir, 'remote'), '--module-name', 'Files', '--commands', 'Get-ChildItem', 'Get-Item', 'Test-Path', 'Get-Date', 'Select-String', 'Get-Process']);
      expect(out.stderr).toBe('');
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/: 6 commands \(Get-ChildItem, Get-Item, Test-Path, Get-Date, Select-String, Get-Process\)/);
      writeFileSync(
        join(dir, 'use.ts'),
        `import * as remote from './remote/index.js';\nimport type { RunspacePool } from 'psremote';\nexport const names = (s: RunspacePool) => remote.getChildItem(s, { path: '/', name: true });\nexport const match = (s: RunspacePool) => remote.selectString(s, { pattern: 'b', simpleMatch: true }, { input: ['abc', 'xyz', 'b2'] });\n`,
      );
      const compiled = tsc(dir);
      expect(compiled.output).toBe('');
      expect(compiled.status).toBe(0);

      const remote = (await import(pathToFileURL(join(dir, 'remote', 'index.ts')).href)) as Record<string, (...a: unknown[]) => Promise<InstanceType<Psremote['PowerShellInvocation']>>> & { $source: Record<string, unknown> };
      expect(remote.$source).toMatchObject({ configurationName: 'Microsoft.PowerShell', psVersion: '7.6.9', languageMode: 'FullLanguage', moduleName: 'Files' });
      const pool = await ps.openSession(ep.url, { signal: AbortSignal.timeout(60_000) });
      try {
        // A switch: Get-ChildItem -Name gives the names as strings.
        // (strings that carry the provider's PSPath notes, so PSObjects with a string body)
        const names = (await (await remote.getChildItem!(pool, { path: '/', name: true })).result()).output.map((n) => ps.toPlain(n));
        expect(names).toContain('etc');
        expect(names.every((n) => typeof n === 'string')).toBe(true);
        // Pipeline input bound by value: Select-String -InputObject from the pipeline.
        const matches = (await (await remote.selectString!(pool, { pattern: 'b', simpleMatch: true }, { input: ['abc', 'xyz', 'b2'] })).result()).output;
        expect(matches.map((m) => ps.toPlain(m) as { Line: string }).map((m) => m.Line)).toEqual(['abc', 'b2']);
        // An enum as its name, a boolean back.
        expect((await (await remote.testPath!(pool, { path: '/etc', pathType: 'Container' })).result()).output).toEqual([true]);
        expect((await (await remote.testPath!(pool, { path: '/etc', pathType: 'Leaf' })).result()).output).toEqual([false]);
        // A DateTime comes back as one (inside a PSObject carrying Get-Date's DisplayHint note).
        const [date] = (await (await remote.getDate!(pool, { year: 2020, month: 2, day: 29 })).result()).output;
        expect(date).toBeInstanceOf(ps.PSObject);
        const body = (date as InstanceType<Psremote['PSObject']>).value;
        expect(body).toBeInstanceOf(ps.PSDateTime);
        expect((body as InstanceType<Psremote['PSDateTime']>).toDate().getUTCMonth()).toBe(1);
        expect((date as InstanceType<Psremote['PSObject']>).extended.get('DisplayHint')).toBeDefined();
        const [item] = (await (await remote.getItem!(pool, { literalPath: '/etc' })).result()).output;
        expect((ps.toPlain(item) as { FullName: string }).FullName).toBe('/etc');
        const procs = (await (await remote.getProcess!(pool, { id: [process.pid] })).result()).output;
        expect(procs.map((p) => (ps.toPlain(p) as { Id: number }).Id)).toEqual([process.pid]);
        // A mandatory parameter left out is refused here, before a pipeline is sent.
        const commandsBefore = ep.log.filter((l) => l.operation === 'Command').length;
        await expect(remote.selectString!(pool, { path: '/etc/hosts' })).rejects.toMatchObject({ code: 'PSR_PARAMETER_BINDING', command: 'Select-String', parameter: 'Pattern' });
        expect(ep.log.filter((l) => l.operation === 'Command').length).toBe(commandsBefore);
      } finally {
        await pool.close();
      }

      // The same module against an endpoint that does not have Select-String: a clear error naming it.
      const pssc = join(work, 'dates.pssc');
      writeFileSync(pssc, "@{ SchemaVersion = '2.0.0.0'; SessionType = 'RestrictedRemoteServer'; LanguageMode = 'NoLanguage'; VisibleCmdlets = 'Get-Date' }\n");
      const ep2 = await ps.startEndpoint({ realEngine: [pwsh, '-s', '-NoLogo', '-NoProfile', '-ConfigurationFile', pssc] });
      const pool2 = await ps.openSession(ep2.url, { signal: AbortSignal.timeout(60_000) });
      try {
        await expect(remote.selectString!(pool2, { pattern: 'x' }, { input: ['x'] })).rejects.toMatchObject({ code: 'PSR_COMMAND_NOT_FOUND', command: 'Select-String' });
        expect((await (await remote.getDate!(pool2, { year: 1999 })).result()).output).toHaveLength(1);
      } finally {
        await pool2.close();
        await ep2.close();
      }
    } finally {
      await ep.close();
    }
  }, 240_000);

  it('a restricted configuration exposing three commands yields exactly those three proxies, and they run', async () => {
    const ps = await load();
    const pssc = join(work, 'maintenance.pssc');
    writeFileSync(
      pssc,
      ["@{", "  SchemaVersion = '2.0.0.0'", "  SessionType = 'RestrictedRemoteServer'", "  LanguageMode = 'NoLanguage'", "  VisibleCmdlets = 'Get-Date', 'Test-Path', 'Get-ChildItem'", "  VisibleProviders = 'FileSystem'", '}', ''].join('\n'),
    );
    const ep = await ps.startEndpoint({ realEngine: [pwsh, '-s', '-NoLogo', '-NoProfile', '-ConfigurationFile', pssc] });
    const pool = await ps.openSession(ep.url, { signal: AbortSignal.timeout(60_000) });
    try {
      // NoLanguage: a script is refused, so discovery has GET_COMMAND_METADATA only.
      await expect(pool.invoke('1 + 1').result()).rejects.toThrow(/no-language mode/);
      const remote = await ps.importSession(pool, { prefix: 'Srv' });
      expect(Object.keys(remote).sort()).toEqual(['getSrvChildItem', 'getSrvDate', 'testSrvPath']);
      expect(remote.$source.languageMode).toBeNull();
      expect(remote.testSrvPath!.command.parameterSets).toBeNull();
      expect((await (await remote.testSrvPath!({ path: '/etc' })).result()).output).toEqual([true]);
      await expect(remote.getSrvDate!({ colour: 'red' })).rejects.toMatchObject({ code: 'PSR_PARAMETER_BINDING' });
    } finally {
      await pool.close();
      await ep.close();
    }
  }, 240_000);
});

// `psremote invoke 'exec:<host>'` as users run it (dist/cli/main.js in a child
// process) against the real PowerShell engine peer over stdio.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeWithRealEngine } from '../helpers/peers.js';

const CLI = 'dist/cli/main.js';

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A hung child must not hang vitest: kill it (its server dies with its stdin).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`psremote ${args.join(' ')} did not finish in 60 s; stderr: ${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describeWithRealEngine('psremote invoke exec:<real engine>', (host) => {
  it('needs the built CLI (npm run build)', () => {
    expect(existsSync(CLI)).toBe(true);
  });

  it("prints 2, 4 and 6 as JSON lines for '1..3 | ForEach-Object { $_ * 2 }'", async () => {
    const r = await run(['invoke', `exec:${host}`, '-c', '1..3 | ForEach-Object { $_ * 2 }', '--json']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('2\n4\n6\n');
    expect(r.code).toBe(0);
  });

  it('prints the other streams on stderr and exits 1 when the script wrote errors', async () => {
    const r = await run(['invoke', `exec:${host}`, '-c', "Write-Warning 'careful'; 'out'; Write-Error 'it broke'"]);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('WARNING: careful\n');
    // One line in the concise view, with where in the script. (This SDK host has no Out-String, so the
    // script runs unwrapped and Write-Error's invocation is the script's own statement.)
    expect(r.stderr).toContain('ERROR: Write-Error: it broke [At line:1 char:33]\n');
    expect(r.code).toBe(1);
  });

  it('a command that is not a PSRP server ends with a clear error, not a hang', async () => {
    const r = await run(['invoke', 'exec:/bin/echo not a server', '-c', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/psremote: .*(OutOfProc line|exited)/);
  });
});

describeWithRealEngine('psremote serve --engine real', (host) => {
  it('a WinRM endpoint whose PowerShell shells run on the real engine; psremote invoke over WSMan prints 2, 4, 6', async () => {
    const server = spawn(process.execPath, [CLI, 'serve', '--engine', 'real', '--engine-command', host], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (\S+)\nengine: real/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.on('exit', () => reject(new Error(`serve exited: ${out}`)));
      });
      const r = await run(['invoke', url, '-c', '1..3 | ForEach-Object { $_ * 2 }', '--json']);
      expect(r).toMatchObject({ code: 0, stdout: '2\n4\n6\n' });
      const bad = await run(['serve', '--engine', 'imaginary']);
      expect(bad.stderr).toMatch(/unknown --engine imaginary: scripted or real/);
    } finally {
      server.kill('SIGKILL');
    }
  });
});

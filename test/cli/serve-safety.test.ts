// `psremote serve` is safe by default, run from the built package as users run
// it: the warnings that name each risk, Basic over http only with
// --allow-unencrypted, the [admin] flag of --users, and --record's file mode
// and symlink refusal. A non-loopback --host is tried on an address this
// machine does not have (TEST-NET-1), so nothing ever listens beyond loopback:
// the warning comes before the listen fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { runCommand } from '../../src/winrm/winrs.js';
import { HttpTransport } from '../../src/transport/http/transport.js';
import { basicAuth } from '../../src/transport/http/auth.js';
import { RESOURCE, NS } from '../../src/wsman/namespaces.js';
import { childElement, textContent } from '../../src/util/xml.js';

const CLI = 'dist/cli/main.js';
let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'psremote-serve-safety-'));
  writeFileSync(join(dir, 'users'), '# users\nalice:a-pw\n[admin] carol:c-pw\n');
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts serve; resolves with its URL once listening, or with its exit code and output if it ends first. */
function serve(args: string[]): Promise<{ url?: string; code?: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (\S+)\n.*\n/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, stdout, stderr });
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('warnings and --allow-unencrypted', () => {
  test('no --users: a warning that anyone reaching it runs commands and shares every shell', async () => {
    const r = await serve([]);
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wsman$/);
    expect(r.stderr).toMatch(/^warning: no --users: anyone who can reach this endpoint runs commands as \S+, and every client sees and uses every shell\n$/);
  });

  test('a --host that is not loopback is warned about before the listen (which fails here: the address is not ours)', async () => {
    const r = await serve(['--host', '192.0.2.1', '--auth', 'ntlm', '--users', join(dir, 'users')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('warning: --host 192.0.2.1 is not a loopback address: the endpoint is reachable from the network, and its traffic is not protected by TLS');
    expect(r.stderr).toMatch(/psremote: .*EADDRNOTAVAIL/);
  });

  test('Basic over http is refused unless --allow-unencrypted; with it, Basic works and the risk is named', async () => {
    const refused = await serve(['--users', join(dir, 'users')]);
    expect(refused.code).toBe(2); // a usage error (src/cli/exit-codes.ts)
    expect(refused.stderr).toContain('--auth basic over http would send passwords in clear');
    expect(refused.stderr).toContain('--allow-unencrypted');

    const mixed = await serve(['--users', join(dir, 'users'), '--auth', 'basic,ntlm']);
    expect(mixed.stderr).toContain('warning: Basic is refused over http without --allow-unencrypted');
    await expect(runCommand(mixed.url!, 'echo', ['x'], { auth: basicAuth('alice', 'a-pw'), allowUnencrypted: true })).rejects.toMatchObject({ code: 'PSR_AUTH_REJECTED' });

    const allowed = await serve(['--users', join(dir, 'users'), '--allow-unencrypted']);
    expect(allowed.stderr).toBe('warning: --allow-unencrypted: Basic passwords and unsealed SOAP may cross the network in clear\n');
    const r = await runCommand(allowed.url!, 'echo', ['x'], { auth: basicAuth('alice', 'a-pw'), allowUnencrypted: true });
    expect(r.stdout).toBe('x\n');
  });

  test('[admin] in --users: carol lists alice\'s shell, alice does not see carol\'s', async () => {
    const s = await serve(['--users', join(dir, 'users'), '--allow-unencrypted']);
    const client = (u: string, p: string) => new WSManClient(new HttpTransport({ endpoint: s.url!, auth: basicAuth(u, p), allowUnencrypted: true }));
    const alice = client('alice', 'a-pw');
    const carol = client('carol', 'c-pw');
    try {
      const a = await alice.create(RESOURCE.cmdShell, {});
      const c = await carol.create(RESOURCE.cmdShell, {});
      const ids = async (w: WSManClient) => (await w.enumerate(RESOURCE.shell)).items.map((x) => textContent(childElement(x, NS.shell, 'ShellId')!)).sort();
      expect(await ids(carol)).toEqual([a.shellId, c.shellId].sort());
      expect(await ids(alice)).toEqual([a.shellId]);
      await carol.delete(RESOURCE.cmdShell, a.shellId);
      expect(await ids(alice)).toEqual([]);
    } finally {
      await alice.close();
      await carol.close();
    }
  });
});

describe('--allowed-host', () => {
  test('a configured name is accepted as Host; another name is refused before any shell exists', async () => {
    const s = await serve(['--allowed-host', 'winrm.test']);
    const u = new URL(s.url!);
    const { request } = await import('node:http');
    const { recording } = await import('../helpers/recordings.js');
    const create = recording('test_winrs_standard.yml').exchanges[0]!.request;
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { host, 'content-type': 'application/soap+xml;charset=UTF-8' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end(create);
      });
    expect(await status('winrm.test:5985')).toBe(200);
    expect(await status('other.test:5985')).toBe(403);
  });
});

describe('--record', () => {
  test('an existing file with wider permissions is narrowed to 0600 and rewritten', async () => {
    const file = join(dir, 'wide.jsonl');
    writeFileSync(file, 'old content\n');
    chmodSync(file, 0o644);
    const s = await serve(['--record', file]);
    expect(s.url).toBeDefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^\{"format":"psremote-recording"/);
    const fresh = join(dir, 'fresh.jsonl');
    const t = await serve(['--record', fresh]);
    expect(t.url).toBeDefined();
    expect(statSync(fresh).mode & 0o777).toBe(0o600);
  });

  test('a symlink at the path is refused, and its target is untouched', async () => {
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'precious\n');
    const link = join(dir, 'link.jsonl');
    symlinkSync(target, link);
    const r = await serve(['--record', link]);
    expect(r.code).toBe(2); // a usage error (src/cli/exit-codes.ts)
    expect(r.stderr).toContain(`cannot record to ${link}: it is a symbolic link (never followed)`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

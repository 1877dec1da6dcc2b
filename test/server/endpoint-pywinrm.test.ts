// An independent client, Debian's pywinrm, runs cmd commands against the local
// endpoint with Basic auth over HTTP: our server side interoperates with
// somebody else's client side.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { SYSTEM_PYTHON, pywinrmAvailable, requirePeers } from '../helpers/pywinrm.js';

const peer = pywinrmAvailable();
if (!peer.ok && requirePeers()) throw new Error(`pywinrm peer required on CI but unavailable: ${peer.reason}`);
if (!peer.ok) console.warn(`skipping pywinrm interop tests: ${peer.reason}`);

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

function python(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const RUN = `
import json, os, winrm
s = winrm.Session(os.environ['URL'], auth=(os.environ['WUSER'], os.environ['WPASS']), transport='basic')
out = []
for cmd, args in json.loads(os.environ['CMDS']):
    r = s.run_cmd(cmd, args)
    out.append({'stdout': r.std_out.decode(), 'stderr': r.std_err.decode(), 'code': r.status_code})
print(json.dumps(out))
`;

describe.skipIf(!peer.ok)('pywinrm against the local endpoint (Basic over HTTP)', () => {
  test('stdout, stderr and exit codes of several commands', async () => {
    ep = await startEndpoint({ users: { alice: 'pw-1' }, allowUnencrypted: true });
    const cmds = [
      ['echo', ['hello', 'pywinrm']],
      ['echo oops 1>&2; exit 7', []],
    ];
    const r = await python(RUN, { URL: ep.url, WUSER: 'alice', WPASS: 'pw-1', CMDS: JSON.stringify(cmds) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { stdout: 'hello pywinrm\n', stderr: '', code: 0 },
      { stdout: '', stderr: 'oops\n', code: 7 },
    ]);
    // pywinrm's cycle per command: Create, Command, Receive…, Signal, Delete
    expect(ep.stats.requests.Create).toBe(2);
    expect(ep.stats.requests.Delete).toBe(2);
    expect(ep.stats.openShells).toBe(0);
  });

  test('a wrong password is refused with 401', async () => {
    ep = await startEndpoint({ users: { alice: 'pw-1' }, allowUnencrypted: true });
    const r = await python(RUN, { URL: ep.url, WUSER: 'alice', WPASS: 'wrong', CMDS: JSON.stringify([['echo', ['x']]]) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/InvalidCredentialsError|401/);
    expect(ep.log.every((l) => l.status === 401)).toBe(true);
  });
});

// Two pywinrm users on one endpoint: bob's Command, Receive and Delete on
// alice's shell are Windows' AccessDenied fault as pywinrm parses it.
const TWO_USERS = `
import json, os
from winrm.protocol import Protocol
def proto(user, pw):
    return Protocol(endpoint=os.environ['URL'], transport='basic', username=user, password=pw)
alice = proto('alice', 'pw-1')
bob = proto('bob', 'pw-2')
shell = alice.open_shell()
cid = alice.run_command(shell, 'echo', ['mine'])
out = {}
for name, call in [('Command', lambda: bob.run_command(shell, 'echo', ['pwned'])),
                   ('Receive', lambda: bob.get_command_output(shell, cid)),
                   ('Delete', lambda: bob.close_shell(shell))]:
    try:
        call()
        out[name] = 'no error'
    except Exception as e:
        out[name] = str(e)
so, se, code = alice.get_command_output(shell, cid)
out['alice'] = [so.decode(), code]
alice.cleanup_command(shell, cid)
alice.close_shell(shell)
print(json.dumps(out))
`;

describe.skipIf(!peer.ok)('pywinrm: two users on one endpoint', () => {
  test("bob's Command, Receive and Delete on alice's shell get AccessDenied (code 5, HTTP 500); alice's command is untouched", async () => {
    ep = await startEndpoint({ users: { alice: 'pw-1', bob: 'pw-2' }, allowUnencrypted: true });
    const r = await python(TWO_USERS, { URL: ep.url });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const op of ['Command', 'Receive', 'Delete']) {
      expect(out[op]).toMatch(/^Access is denied\. +\(extended fault data: /);
      expect(out[op]).toContain("'wsmanfault_code': '5'");
      expect(out[op]).toContain("'fault_subcode': 'w:AccessDenied'");
      expect(out[op]).toContain("'http_status_code': 500");
    }
    expect(out.alice).toEqual(['mine\n', 0]);
    expect(ep.stats.openShells).toBe(0);
  });
});

// `psremote serve --auth ntlm --users FILE` and the client commands with
// `--auth ntlm|negotiate`, run from the built package as users run them. The
// password and NT hash come from environment variables and never appear in
// any output, including the failure messages.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ntowfv1 } from '../../src/auth/ntlm/crypto.js';
import { CLI, spawnCli, startServe, type Serve } from '../helpers/cli.js';

const PW = 'Cli-Secret-Pw-9';
const BOB_HASH = Buffer.from(ntowfv1('Bob-Other-Pw')).toString('hex');
let dir: string;
let server: Serve | undefined;
let url = '';
const serverOutput = () => server?.output() ?? '';

beforeAll(async () => {
  // Runs the built package (`npm test` builds first). Not rebuilt here: test/cli/cli.test.ts
  // already rebuilds, and two tsc processes writing dist/ at once could hand a half-written file to a child.
  expect(existsSync(CLI) && existsSync('dist/transport/http/ntlm-auth.js'), 'run `npm run build` first').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'psremote-cli-ntlm-'));
  writeFileSync(join(dir, 'users'), `# users\nalice:${PW}\nbob:$NT$${BOB_HASH}\n`);
  server = await startServe(['--auth', 'ntlm', '--users', join(dir, 'users')], { timeoutMs: 20_000 });
  url = server.url;
}, 120_000);

afterAll(() => {
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = {}) => spawnCli(args, { env: { ...process.env, ...env }, timeoutMs: 20_000 });

const noSecrets = (...texts: string[]) => {
  for (const t of texts) {
    expect(t).not.toContain(PW);
    expect(t).not.toContain(BOB_HASH);
    expect(t.toLowerCase()).not.toContain(BOB_HASH.toLowerCase());
  }
};

describe('psremote serve --auth ntlm with the NTLM client flags', () => {
  test('serve says what it offers', () => {
    expect(serverOutput()).toMatch(/2 users \(ntlm\)/);
  });

  test('exec --auth ntlm runs a cmd command (sealed over http)', async () => {
    const r = await cli(['exec', url, '--auth', 'ntlm', '-u', 'alice', '--password-env', 'PSR_PW', '--', 'echo', 'via-ntlm'], { PSR_PW: PW });
    expect(r).toEqual({ code: 0, stdout: 'via-ntlm\n', stderr: '' });
  });

  test('invoke --auth negotiate runs PowerShell; --nt-hash-env instead of a password', async () => {
    const r = await cli(['invoke', url, '--auth', 'negotiate', '-u', 'WORKGROUP\\bob', '--nt-hash-env', 'PSR_HASH', '-c', 'Write-Output 7 eight', '--json'], { PSR_HASH: BOB_HASH });
    expect(r).toEqual({ code: 0, stdout: '7\n"eight"\n', stderr: '' });
  });

  test('exec --auth ntlm --spnego wraps the tokens in SPNEGO; the endpoint accepts them', async () => {
    // Through a TCP proxy, to see the tokens on the wire.
    const { startTcpProxy } = await import('../helpers/tcp-proxy.js');
    const proxy = await startTcpProxy(Number(new URL(url).port));
    try {
      const via = url.replace(/:\d+\//, `:${proxy.port}/`);
      const r = await cli(['exec', via, '--auth', 'ntlm', '--spnego', '-u', 'alice', '--password-env', 'PSR_PW', '--', 'echo', 'via-spnego'], { PSR_PW: PW });
      expect(r).toEqual({ code: 0, stdout: 'via-spnego\n', stderr: '' });
      const wire = Buffer.concat(proxy.upstream).toString('latin1');
      expect(wire).toMatch(/authorization: Negotiate Y/i); // a GSS-API InitialContextToken (DER 0x60, base64 "Y…"): SPNEGO
      expect(wire).toMatch(/authorization: Negotiate oY/i); // then a NegTokenResp (0xa1)
      expect(wire).not.toMatch(/authorization: Negotiate TlRMTVNTUAAB/i); // no raw NTLM NEGOTIATE
    } finally {
      await proxy.close();
    }
  });

  test('a wrong password: exit 3 (authentication failure), PSR_AUTH_REJECTED, no secret printed', async () => {
    const r = await cli(['exec', url, '--auth', 'ntlm', '-u', 'alice', '--password-env', 'PSR_PW', '--', 'echo', 'x'], { PSR_PW: `${PW}-wrong` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^psremote: .*the server rejected the credentials \(HTTP 401\).*\(PSR_AUTH_REJECTED\)\n$/);
    noSecrets(r.stdout, r.stderr, serverOutput());
  });

  test('flag errors', async () => {
    const noUser = await cli(['exec', url, '--auth', 'ntlm', '--', 'echo']);
    expect(noUser.stderr).toMatch(/--auth ntlm needs --user/);
    const badHash = await cli(['exec', url, '--auth', 'ntlm', '-u', 'a', '--nt-hash-env', 'PSR_HASH', '--', 'echo'], { PSR_HASH: `${PW}` });
    expect(badHash.stderr).toMatch(/an NT hash is 32 hexadecimal characters \(PSR_USAGE\)/);
    const badEnc = await cli(['exec', url, '--auth', 'ntlm', '-u', 'a', '--password-env', 'PSR_PW', '--message-encryption', 'sometimes', '--', 'echo'], { PSR_PW: PW });
    expect(badEnc.stderr).toMatch(/invalid --message-encryption sometimes/);
    const plainHttp = await cli(['exec', url, '--auth', 'ntlm', '-u', 'alice', '--password-env', 'PSR_PW', '--message-encryption', 'never', '--', 'echo'], { PSR_PW: PW });
    expect(plainHttp.stderr).toMatch(/refusing unencrypted NTLM traffic over http/);
    noSecrets(noUser.stderr, badHash.stderr, badEnc.stderr, plainHttp.stderr);
  });
});

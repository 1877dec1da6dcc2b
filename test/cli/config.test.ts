// The config file with named hosts (docs/cli.md, "Configuration"): a name in
// place of a target for invoke, exec, identify and session new; the password
// from the host's passwordEnv or its credential helper (a real shell script,
// run as git runs one); a `password` key refused; `config show` masking; a
// named session remembering its auth scheme (NTLM here, so a forgotten scheme
// would fall back to Basic and be refused). Against psremote's own endpoint
// (scripted engine, NTLM users).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runInProcess } from '../helpers/cli.js';
import { configPath, loadConfig } from '../../src/cli/config.js';
import { helperInput, parseHelperOutput, runCredentialHelper } from '../../src/cli/credential-helper.js';
import { startEndpoint } from '../../src/server/endpoint.js';

const PW = 'Config-Secret-Pw-7';

const cli = (args: string[]) => runInProcess(args);

let dir = '';
let ep: Awaited<ReturnType<typeof startEndpoint>>;
const writeConfig = (hosts: unknown) => writeFileSync(join(dir, 'config.json'), JSON.stringify({ hosts }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'psremote-config-'));
  ep = await startEndpoint({ users: { alice: PW }, auth: ['ntlm'] });
  // A credential helper as git runs them: `helper get`, what is known on stdin, password= on stdout.
  writeFileSync(join(dir, 'helper.sh'), `#!/bin/sh\necho "$1" > "${dir}/helper-args"\ncat > "${dir}/helper-input"\necho "username=alice"\necho "password=${PW}"\n`);
  chmodSync(join(dir, 'helper.sh'), 0o755);
  vi.stubEnv('PSREMOTE_CONFIG', join(dir, 'config.json'));
  vi.stubEnv('PSREMOTE_HOME', dir);
  vi.stubEnv('CONFIG_TEST_PW', PW);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await ep?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('named hosts', () => {
  it('invoke, exec and identify take a configured name; the password from the host\'s passwordEnv', async () => {
    writeConfig({ lab: { url: ep.url, auth: 'ntlm', user: 'alice', passwordEnv: 'CONFIG_TEST_PW' } });
    const r = await cli(['invoke', 'lab', '-c', 'Write-Output 1 two']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1\ntwo\n');
    expect(r.code).toBe(0);
    const id = await cli(['identify', 'lab', '--json']);
    expect(id.code).toBe(0);
    expect(JSON.parse(id.stdout)).toMatchObject({ productVendor: expect.any(String) });
    const x = await cli(['exec', 'lab', '--', 'echo', 'from-exec']);
    expect(x.stdout).toBe('from-exec\n');
    expect(x.code).toBe(0);
    // The command line wins over the config: a wrong user is rejected (exit 3).
    const other = await cli(['invoke', 'lab', '-u', 'mallory', '-c', 'Write-Output 1']);
    expect(other.code).toBe(3);
  });

  it('the credential helper gives the password: run with `get`, told protocol, host, port, path and user', async () => {
    writeConfig({ lab: { url: ep.url, auth: 'ntlm', user: 'alice', credentialHelper: `${dir}/helper.sh` } });
    const r = await cli(['invoke', 'lab', '-c', 'Write-Output helped']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('helped\n');
    expect(readFileSync(join(dir, 'helper-args'), 'utf8')).toBe('get\n');
    const u = new URL(ep.url);
    expect(readFileSync(join(dir, 'helper-input'), 'utf8')).toBe(`protocol=http\nhost=${u.hostname}\nport=${u.port}\npath=wsman\nusername=alice\n\n`);
  });

  it('a failing helper or one without password= is a usage error that shows nothing it printed', async () => {
    writeFileSync(join(dir, 'bad.sh'), '#!/bin/sh\necho "secret-ish=1"\n');
    chmodSync(join(dir, 'bad.sh'), 0o755);
    writeConfig({ lab: { url: ep.url, auth: 'ntlm', user: 'alice', credentialHelper: `${dir}/bad.sh --flag` } });
    const r = await cli(['invoke', 'lab', '-c', '1']);
    expect(r.stderr).toBe(`psremote: credential helper "${dir}/bad.sh" printed no password= line (PSR_USAGE)\n`);
    expect(r.code).toBe(2);
    await expect(runCredentialHelper('exit 3', { target: ep.url })).rejects.toThrow('credential helper "exit" exited with 3');
    expect(parseHelperOutput('username=a\npassword=p=q\npassword=second\n')).toEqual({ username: 'a', password: 'p=q' });
    expect(helperInput({ target: 'win01', username: 'CORP\\me' })).toBe('protocol=http\nhost=win01\nusername=CORP\\me\n\n');
  });

  it('session new on a named host; invoke --session remembers the auth scheme (NTLM) and asks only for the secret', async () => {
    writeConfig({ lab: { url: ep.url, auth: 'ntlm', user: 'alice', passwordEnv: 'CONFIG_TEST_PW' } });
    const made = await cli(['session', 'new', 'lab', '--name', 'cfgjob']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const store = JSON.parse(readFileSync(join(dir, 'sessions.json'), 'utf8')) as { sessions: Record<string, unknown>[] };
    const h = store.sessions.find((s) => s.name === 'cfgjob')!;
    expect(h).toMatchObject({ endpoint: ep.url, user: 'alice', opened: { host: 'lab', options: { auth: 'ntlm' } } });
    expect(JSON.stringify(store)).not.toContain(PW);
    expect(JSON.stringify(store)).not.toContain('CONFIG_TEST_PW');
    // Without the config entry the session still knows its scheme; the password comes from the flag only.
    writeConfig({});
    const r = await cli(['invoke', '--session', 'cfgjob', '--password-env', 'CONFIG_TEST_PW', '-c', 'Write-Output again']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('again\n');
    const removed = await cli(['session', 'remove', 'cfgjob', '--password-env', 'CONFIG_TEST_PW']);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
  });
});

describe('the file itself', () => {
  it('a password in the config is refused with what to do instead; unknown keys and bad types named', async () => {
    writeConfig({ lab: { url: ep.url, user: 'alice', password: 'x' } });
    const r = await cli(['invoke', 'lab', '-c', '1']);
    expect(r.stderr).toBe(
      `psremote: config ${join(dir, 'config.json')}: hosts.lab.password: secrets are never kept in the config file: give "passwordEnv" (an environment variable), a "credentialHelper" command, or type it at the prompt (PSR_USAGE)\n`,
    );
    expect(r.code).toBe(2);
    writeConfig({ lab: { url: 'http://u:pw@h/wsman' } });
    expect((await cli(['config', 'show'])).stderr).toContain('hosts.lab.url: has a password in it');
    writeConfig({ lab: { url: ep.url, autth: 'ntlm' } });
    expect((await cli(['config', 'show'])).stderr).toContain('hosts.lab.autth: unknown key');
    writeConfig({ lab: { url: ep.url, ssl: 'yes' } });
    expect((await cli(['config', 'show'])).stderr).toContain('hosts.lab.ssl: must be a boolean, not "yes"');
    writeFileSync(join(dir, 'config.json'), '{ nope');
    expect((await cli(['config', 'show'])).stderr).toMatch(/config .*: not valid JSON/);
  });

  it('config show prints the resolved settings with secrets masked', async () => {
    writeConfig({ lab: { url: ep.url, auth: 'ntlm', user: 'alice', passwordEnv: 'CONFIG_TEST_PW', credentialHelper: 'pass show lab-token', proxy: 'http://proxy:3128' } });
    const r = await cli(['config', 'show', 'lab', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).hosts.lab).toEqual({ url: ep.url, auth: 'ntlm', user: 'alice', passwordEnv: 'CONFIG_TEST_PW (set, value hidden)', credentialHelper: 'pass ***', proxy: 'http://proxy:3128' });
    expect(r.stdout).not.toContain('lab-token');
    const text = await cli(['config', 'show']);
    expect(text.stdout).toContain(`# ${join(dir, 'config.json')}\nlab\n  url               ${ep.url}\n`);
    expect((await cli(['config', 'show', 'nope'])).stderr).toMatch(/no host named "nope"/);
  });

  it('where the file is: PSREMOTE_CONFIG, else XDG_CONFIG_HOME, else ~/.config; a missing default file is empty', () => {
    expect(configPath({ PSREMOTE_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/y' })).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/y' })).toBe('/y/psremote/config.json');
    expect(configPath({ HOME: '/h' })).toMatch(/\.config\/psremote\/config\.json$/);
    expect(loadConfig({ XDG_CONFIG_HOME: join(dir, 'none') }).hosts.size).toBe(0);
    expect(() => loadConfig({ PSREMOTE_CONFIG: join(dir, 'missing.json') })).toThrow(/^cannot read config .*missing\.json: ENOENT$/);
  });
});

describe('shell on a named host', () => {
  it('psremote shell NAME connects with the host\'s settings and runs what stdin gives (scripted engine: the shell\'s wrapper unwrapped)', async () => {
    writeConfig({ lab: { url: ep.url, auth: 'ntlm', user: 'alice', passwordEnv: 'CONFIG_TEST_PW' } });
    const { code, stdout: out, stderr: err } = await runInProcess(['shell', 'lab', '--no-history'], "Write-Output 'from the shell'\nexit\n");
    expect(err).toBe('');
    expect(out).toContain('from the shell\n');
    expect(code).toBe(0);
  });
});

// psremote check against the local endpoint set up many ways: each setting the
// endpoint presents is reported as what it is, and one expectations file holds
// on the matching setup and fails, naming the difference, on the others. The
// restricted configuration is a real .pssc on real pwsh. The winrm/config
// reader is checked on the answers Windows gave pypsrp.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkHost, type CheckOptions } from '../../src/session/check/check-host.js';
import { compareExpectations, parseExpectations } from '../../src/session/check/expect.js';
import type { CheckReport } from '../../src/session/check/report.js';
import { startEndpoint, type EndpointOptions, type LocalEndpoint } from '../../src/server/endpoint.js';
import { parseEnvelope } from '../../src/wsman/response.js';
import { parseServiceConfig } from '../../src/wsman/config.js';
import { recording } from '../helpers/recordings.js';
import { makePki, type Pki } from '../transport/http/pki.js';
import { describeWithPwsh, pwshServer } from '../helpers/pwsh.js';
import { ROOT } from '../helpers/typescript-project.js';

const alice = { username: 'alice', password: 'wonderland' };
let pki: Pki;
let expiredCert = '';
let expiredKey = '';
const work = mkdtempSync(join(tmpdir(), 'psremote-check-'));

beforeAll(() => {
  pki = makePki();
  // A certificate of the same CA that expired in 2020 (openssl ca takes explicit dates).
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki.dir, stdio: 'pipe' });
  writeFileSync(join(pki.dir, 'index.txt'), '');
  writeFileSync(join(pki.dir, 'serial-old'), '01\n');
  writeFileSync(
    join(pki.dir, 'old.cnf'),
    '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial-old\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n[ext]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'old.key', '-out', 'old.csr', '-subj', '/CN=127.0.0.1');
  ssl('ca', '-batch', '-config', 'old.cnf', '-cert', 'test-ca.pem', '-keyfile', 'test-ca.key', '-in', 'old.csr', '-out', 'old.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extensions', 'ext', '-notext');
  expiredCert = readFileSync(join(pki.dir, 'old.pem'), 'utf8');
  expiredKey = readFileSync(join(pki.dir, 'old.key'), 'utf8');
});
afterAll(() => {
  pki?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

async function checkWith(options: EndpointOptions, check: CheckOptions = { credential: alice }): Promise<CheckReport> {
  ep = await startEndpoint({ users: { alice: alice.password }, ...options });
  return checkHost(ep.url, { timeoutMs: 10_000, ...check });
}

const item = (r: CheckReport, id: string) => r.items.find((i) => i.id === id);

const HARDENED = `
auth:
  basic: off            # Basic neither offered nor accepted
  unencrypted: refused  # SOAP without message encryption refused over http
https: required
`;

describe('psremote check on the local endpoint', () => {
  it('http with Basic and NTLM, unencrypted SOAP allowed: both schemes accepted, Basic over http and unencrypted SOAP warned', async () => {
    const r = await checkWith({ auth: ['basic', 'ntlm'], allowUnencrypted: true });
    expect(r.facts.auth.offered).toEqual(['Negotiate', 'Basic']);
    expect(r.facts.auth.schemes).toMatchObject({ basic: 'accepted', negotiate: 'accepted', kerberos: 'off', credssp: 'off' });
    expect(r.facts.auth.unencrypted).toBe('accepted');
    expect(item(r, 'auth.basic')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/Basic="false"/) });
    expect(item(r, 'auth.unencrypted')).toMatchObject({ status: 'warn' });
    expect(item(r, 'transport')).toMatchObject({ status: 'warn' });
    expect(r.facts.limits).toMatchObject({ readable: true, config: { maxEnvelopeSizeKb: 500, service: { allowUnencrypted: true, auth: { basic: true, negotiate: true } } } });
    expect(r.facts.configurations['Microsoft.PowerShell']).toMatchObject({ opens: true, protocolVersion: '2.3', disconnect: true });
    const results = compareExpectations(parseExpectations(HARDENED), r.facts);
    expect(results.filter((x) => !x.ok).map((x) => `${x.path}: ${x.actual}`)).toEqual(['auth.basic: on (accepted)', 'auth.unencrypted: accepted', 'https: off']);
  });

  it('http with NTLM only and AllowUnencrypted off: Basic off, unencrypted SOAP refused', async () => {
    const r = await checkWith({ auth: ['ntlm'], allowUnencrypted: false });
    expect(r.facts.auth.schemes.basic).toBe('off');
    expect(r.facts.auth.unencrypted).toBe('refused');
    expect(item(r, 'auth.unencrypted')).toMatchObject({ status: 'pass' });
    expect(r.facts.limits).toMatchObject({ readable: true, config: { service: { allowUnencrypted: false, auth: { basic: false, negotiate: true } } } });
    const results = compareExpectations(parseExpectations(HARDENED), r.facts);
    expect(results.filter((x) => !x.ok).map((x) => x.path)).toEqual(['https']);
  });

  it('https with a certificate the CA given trusts: the hardened expectations all hold', async () => {
    const r = await checkWith({ auth: ['ntlm'], tls: { cert: pki.serverCert, key: pki.serverKey } }, { credential: alice, tls: { ca: pki.caCert } });
    const c = r.facts.certificate!;
    expect(c).toMatchObject({ trusted: true, nameMatches: true, keyBits: 2048, signatureAlgorithm: 'sha256WithRSAEncryption', names: ['127.0.0.1', 'localhost'] });
    expect(c.issuer).toBe('CN=test-ca');
    // The test PKI's certificates live two days: under 30 days is a warning.
    expect(item(r, 'tls.certificate.expiry')).toMatchObject({ status: 'warn' });
    expect(r.facts.auth.unencrypted).toBe('not applicable');
    expect(r.facts.auth.channelBinding).toBe('not required');
    const results = compareExpectations(parseExpectations(`${HARDENED}certificate:\n  trusted: true\n`), r.facts);
    expect(results.every((x) => x.ok)).toBe(true);
    const soon = compareExpectations(parseExpectations('certificate:\n  validForDays: 30\n'), r.facts);
    expect(soon).toEqual([{ path: 'certificate.validForDays', ok: false, expected: 'at least 30 days', actual: expect.stringMatching(/^[01] days \(until /) }]);
  });

  it('https without the CA: the chain fails with the reason and the fix', async () => {
    const r = await checkWith({ auth: ['basic'], tls: { cert: pki.serverCert, key: pki.serverKey } }, { credential: alice });
    expect(item(r, 'tls.certificate.trust')).toMatchObject({ status: 'fail', evidence: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to (get|verify)/i), fix: expect.stringMatching(/--ca/) });
    expect(r.status).toBe('fail');
  });

  it('an expired certificate fails with its date', async () => {
    const r = await checkWith({ auth: ['basic'], tls: { cert: expiredCert, key: expiredKey } }, { credential: alice, tls: { ca: pki.caCert } });
    expect(r.facts.certificate!.validTo).toBe('2020-02-01T00:00:00.000Z');
    expect(item(r, 'tls.certificate.expiry')).toMatchObject({ status: 'fail', evidence: expect.stringMatching(/^expired on 2020-02-01T00:00:00.000Z/) });
    expect(r.facts.certificate!.trusted).toBe(false);
  });

  it('a certificate for another name fails, naming the names it holds', async () => {
    const r = await checkWith({ auth: ['basic'], tls: { cert: pki.namedCert, key: pki.namedKey } }, { credential: alice, tls: { ca: pki.caCert } });
    expect(item(r, 'tls.certificate.name')).toMatchObject({ status: 'fail', evidence: expect.stringMatching(/the certificate names winrm\.test/) });
    expect(item(r, 'auth.usable')).toMatchObject({ status: 'fail', evidence: expect.stringMatching(/^not tried: the server certificate does not verify/) });
  });

  it('strict channel binding over https: NTLM without bindings is refused, so it is required', async () => {
    const r = await checkWith({ auth: ['ntlm'], tls: { cert: pki.serverCert, key: pki.serverKey }, channelBindingPolicy: 'strict' }, { credential: alice, tls: { ca: pki.caCert } });
    expect(r.facts.auth.channelBinding).toBe('required');
    expect(compareExpectations(parseExpectations('auth:\n  channelBinding: required\n'), r.facts)[0]!.ok).toBe(true);
    expect(r.facts.limits).toMatchObject({ readable: true, config: { service: { auth: { cbtHardeningLevel: 'Strict' } } } });
  });

  it('low quotas and a small envelope are read from winrm/config', async () => {
    const r = await checkWith({ auth: ['basic'], allowUnencrypted: true, quotas: { maxShellsPerUser: 3, maxCommandsPerShell: 10 }, maxEnvelopeSizeKb: 150 });
    expect(r.facts.limits).toMatchObject({ readable: true, config: { maxEnvelopeSizeKb: 150, service: { maxConcurrentOperationsPerUser: 10 }, winrs: { maxShellsPerUser: 3 } } });
    const results = compareExpectations(parseExpectations('limits:\n  maxShellsPerUser: 30\n  maxEnvelopeSizeKb: 150\n'), r.facts);
    expect(results.map((x) => [x.path, x.ok, x.actual])).toEqual([
      ['limits.maxShellsPerUser', false, '3'],
      ['limits.maxEnvelopeSizeKb', true, '150'],
    ]);
  });

  it('a wrong password: no scheme accepted, nothing else read, and the report fails', async () => {
    const r = await checkWith({ auth: ['basic', 'ntlm'], allowUnencrypted: true }, { credential: { username: 'alice', password: 'nope' } });
    expect(r.facts.auth.schemes).toMatchObject({ basic: 'refused', negotiate: 'refused' });
    expect(item(r, 'auth.usable')).toMatchObject({ status: 'fail', evidence: expect.stringMatching(/accepted alice \(offered: Negotiate, Basic\)/) });
    expect(r.facts.limits).toEqual({ readable: false, reason: 'no scheme accepted the credentials' });
    expect(JSON.stringify(r)).not.toContain('nope');
  });

  it('without credentials: what can be seen anonymously, limits "not readable" rather than guessed', async () => {
    const r = await checkWith({ auth: ['ntlm'] }, {});
    expect(r.facts.auth.offered).toEqual(['Negotiate']);
    expect(r.facts.auth.unencrypted).toBe('unknown');
    expect(item(r, 'limits')).toMatchObject({ status: 'info', evidence: expect.stringMatching(/^not readable \(no credentials given\)/) });
    expect(r.facts.configurations).toEqual({});
  });

  it('a configuration the endpoint does not serve does not open', async () => {
    const r = await checkWith({ auth: ['basic'], allowUnencrypted: true, configurations: { Other: ['unused'] } }, { credential: alice, configurations: ['Maintenance'] });
    expect(r.facts.configurations.Maintenance).toMatchObject({ opens: false, error: expect.stringMatching(/cannot find the resource|Maintenance session configuration/) });
    expect(item(r, 'configuration.Maintenance')).toMatchObject({ status: 'fail' });
  });

  it('nothing listening: TCP fails with the fix', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await checkHost(`http://127.0.0.1:${port}/wsman`, { timeoutMs: 2000 });
    expect(item(r, 'tcp')).toMatchObject({ status: 'fail', evidence: expect.stringMatching(/ECONNREFUSED/), fix: expect.stringMatching(/listener/) });
  });
});

describeWithPwsh('psremote check on a restricted .pssc configuration (real pwsh)', (pwsh) => {
  const pssc = join(work, 'Maintenance.pssc');
  writeFileSync(pssc, "@{\n  SchemaVersion = '2.0.0.0'\n  SessionType = 'RestrictedRemoteServer'\n  LanguageMode = 'NoLanguage'\n  VisibleCmdlets = 'Get-Date', 'Get-Process', 'Test-Path'\n}\n");
  const expectFile = (commands: string, mode = 'NoLanguage') =>
    `${HARDENED.replace('https: required\n', '')}configurations:\n  Maintenance:\n    languageMode: ${mode}\n    commands: [${commands}]   # exactly these are visible\n`;

  it('reports NoLanguage and exactly the three visible commands; the --expect file passes, and fails naming each drift', async () => {
    const r = await checkWith({ auth: ['ntlm'], realEngine: pwshServer(pwsh), configurations: { Maintenance: pwshServer(pwsh, '-ConfigurationFile', pssc) } }, { credential: alice, configurations: ['Maintenance'] });
    expect(r.facts.configurations.Maintenance).toMatchObject({ opens: true, psVersion: '7.6.9', languageMode: 'NoLanguage' });
    expect([...r.facts.configurations.Maintenance!.commands!].sort()).toEqual(['Get-Date', 'Get-Process', 'Test-Path']);
    expect(compareExpectations(parseExpectations(expectFile('Get-Date, Get-Process, Test-Path')), r.facts).every((x) => x.ok)).toBe(true);
    const drift = compareExpectations(parseExpectations(expectFile('Get-Date, Get-Process, Restart-Service', 'FullLanguage')), r.facts).filter((x) => !x.ok);
    expect(drift.map((x) => `${x.path}: expected ${x.expected}, found ${x.actual}`)).toEqual([
      'configurations.Maintenance.languageMode: expected FullLanguage, found NoLanguage',
      'configurations.Maintenance.commands: expected exactly Get-Date, Get-Process, Restart-Service, found missing Restart-Service; unexpected Test-Path (visible: Get-Date, Get-Process, Test-Path)',
    ]);
  }, 120_000);

  it('the CLI: exit 0 when the file holds, 1 with the differences, JUnit XML for CI', async () => {
    ep = await startEndpoint({ users: { alice: alice.password }, auth: ['ntlm'], realEngine: pwshServer(pwsh), configurations: { Maintenance: pwshServer(pwsh, '-ConfigurationFile', pssc) } });
    const good = join(work, 'good.yml');
    const bad = join(work, 'bad.yml');
    writeFileSync(good, expectFile('Get-Date, Get-Process, Test-Path'));
    writeFileSync(bad, expectFile('Get-Date, Get-Process, Restart-Service'));
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), ...args], { env: { ...process.env, PW: alice.password }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const ok = await cli(['check', ep.url, '-u', 'alice', '--password-env', 'PW', '--expect', good]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/all 4 expectations hold/);
    expect(ok.code).toBe(0);
    const junit = join(work, 'check.xml');
    const no = await cli(['check', ep.url, '-u', 'alice', '--password-env', 'PW', '--expect', bad, '--junit', junit]);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/DIFF {2}configurations\.Maintenance\.commands: expected exactly Get-Date, Get-Process, Restart-Service, found missing Restart-Service; unexpected Test-Path/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testcase classname="psremote.check" name="expect.configurations.Maintenance.commands"><failure message="expected exactly Get-Date, Get-Process, Restart-Service, found missing Restart-Service; unexpected Test-Path/);
    expect(xml).toMatch(/failures="1"/);
    const typo = join(work, 'typo.yml');
    writeFileSync(typo, 'auth:\n  basik: off\n');
    const t = await cli(['check', ep.url, '--expect', typo]);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toMatch(/typo\.yml: auth\.basik: unknown key \(allowed: basic, negotiate, kerberos, credssp, certificate, unencrypted, channelBinding\)/);
  }, 180_000);
});

describe('expectations files', () => {
  it('accept the documented form and refuse what they cannot check, naming the key', () => {
    expect(parseExpectations(`${HARDENED}configurations:\n  Maintenance:\n    languageMode: NoLanguage\n    commands: [Get-Date, Get-Service, Restart-Service]\n`)).toEqual({
      auth: { basic: 'off', unencrypted: 'refused' },
      https: 'required',
      configurations: { Maintenance: { languageMode: 'NoLanguage', commands: ['Get-Date', 'Get-Service', 'Restart-Service'] } },
    });
    expect(parseExpectations('{"auth": {"basic": false}}')).toEqual({ auth: { basic: 'off' } });
    expect(() => parseExpectations('https: maybe', 'f.yml')).toThrow('f.yml: https: expected required or off, got "maybe"');
    expect(() => parseExpectations('configurations:\n  X:\n    languageMode: Full\n', 'f.yml')).toThrow(/configurations\.X\.languageMode: expected FullLanguage or ConstrainedLanguage or RestrictedLanguage or NoLanguage/);
    expect(() => parseExpectations('limits:\n  maxShellsPerUser: lots\n', 'f.yml')).toThrow('f.yml: limits.maxShellsPerUser: expected a whole number');
    expect(() => parseExpectations('- a\n- b\n', 'f.yml')).toThrow(/f\.yml: \(top\): expected a mapping/);
    expect(() => parseExpectations('auth: [', 'f.yml')).toThrow(/f\.yml: \(file\): not YAML or JSON/);
  });
});

describe('winrm/config as Windows answers it', () => {
  it.each([
    ['test_wsman_update_envelope_size_500.yml', 500],
    ['test_wsman_update_envelope_size_150.yml', 150],
  ])('%s', (file, kb) => {
    const rec = recording(file);
    const cfg = parseServiceConfig(parseEnvelope(rec.exchanges[0]!.response.body))!;
    expect(cfg.maxEnvelopeSizeKb).toBe(kb);
    expect(cfg).toMatchObject({
      maxTimeoutMs: 60000,
      service: { allowUnencrypted: false, maxConcurrentOperationsPerUser: 1500, auth: { basic: true, kerberos: true, negotiate: true, certificate: false, credSSP: true, cbtHardeningLevel: 'Relaxed' } },
      winrs: { idleTimeoutMs: 7200000, maxShellsPerUser: 2147483647, maxMemoryPerShellMB: 2147483647, allowRemoteShellAccess: true },
    });
  });
});

// psremote check with Kerberos against the endpoint's Kerberos acceptor and a
// throw-away MIT realm: the SPN psremote would use, whether a ticket for it can
// be had and is accepted, and a clear failure with the fix when the SPN is not
// registered. Also the opt-in probe of an idle shell's lifetime.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseKeytab } from '../../src/auth/kerberos/keytab.js';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { checkHost } from '../../src/session/check/check-host.js';
import { compareExpectations, parseExpectations } from '../../src/session/check/expect.js';
import { startKdc, type KdcRealm } from '../helpers/kdc.js';
import { describeWithPeers } from '../helpers/peers.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

describeWithPeers('psremote check with Kerberos (MIT realm)', ['mitKerberos'], () => {
  let realm: KdcRealm;
  let keytab: string;
  beforeAll(async () => {
    realm = await startKdc();
    await realm.addUser('alice', 'Secret-1');
    keytab = await realm.addService('HTTP/localhost', { keytab: `${realm.dir}/http.keytab` });
  });
  afterAll(async () => {
    await realm?.stop();
  });
  const keys = () => parseKeytab(new Uint8Array(readFileSync(keytab))).entries;
  const byName = (url: string) => url.replace('127.0.0.1', 'localhost');

  it('gets a ticket for HTTP/<host> and the endpoint accepts it; the expectation holds', async () => {
    ep = await startEndpoint({ auth: ['kerberos'], keytab: keys() });
    const r = await checkHost(byName(ep.url), { kerberos: { principal: 'alice@PSREMOTE.TEST', password: 'Secret-1', krb5Config: realm.krb5Conf } });
    expect(r.facts.auth.offered).toEqual(['Negotiate', 'Kerberos']);
    expect(r.facts.kerberos).toEqual({ principal: 'alice@PSREMOTE.TEST', spn: 'HTTP/localhost', ticket: true });
    expect(r.facts.auth.schemes.kerberos).toBe('accepted');
    expect(r.items.find((i) => i.id === 'auth.kerberos')).toMatchObject({ status: 'pass', evidence: 'alice@PSREMOTE.TEST got a ticket for HTTP/localhost and the server accepted it' });
    expect(compareExpectations(parseExpectations('auth:\n  kerberos: on\n  basic: off\n'), r.facts).every((x) => x.ok)).toBe(true);
    expect(JSON.stringify(r)).not.toContain('Secret-1');
  });

  it('an SPN the KDC does not know fails, naming it, with the setspn fix', async () => {
    ep = await startEndpoint({ auth: ['kerberos'], keytab: keys() });
    const r = await checkHost(byName(ep.url), { kerberos: { principal: 'alice@PSREMOTE.TEST', password: 'Secret-1', krb5Config: realm.krb5Conf, spn: 'HTTP/nowhere.psremote.test' } });
    const item = r.items.find((i) => i.id === 'auth.kerberos')!;
    expect(item).toMatchObject({ status: 'fail', fix: expect.stringMatching(/^register the SPN on the computer account \(setspn -S HTTP\/nowhere\.psremote\.test/) });
    expect(item.evidence).toMatch(/^no ticket for HTTP\/nowhere\.psremote\.test: .*PRINCIPAL_UNKNOWN|unknown/i);
  });

  it('a bare IP: Kerberos is not tried, and the report says why', async () => {
    ep = await startEndpoint({ auth: ['kerberos'], keytab: keys() });
    const r = await checkHost(ep.url, { kerberos: { principal: 'alice@PSREMOTE.TEST', password: 'Secret-1', krb5Config: realm.krb5Conf } });
    expect(r.facts.kerberos).toMatchObject({ spn: null, ticket: false, error: expect.stringMatching(/Kerberos needs a host name, not the IP address 127\.0\.0\.1/) });
  });
});

describe('the idle-shell probe', () => {
  it('reports how long a shell with no outstanding Receive lives, and leaves no shell', async () => {
    ep = await startEndpoint({ users: { alice: 'pw' }, auth: ['ntlm'], idleDisconnectMs: 1500 });
    const r = await checkHost(ep.url, { credential: { username: 'alice', password: 'pw' }, configurations: [], probes: { idleSeconds: 20, pollMs: 250 } });
    expect(r.facts.probes?.idleLifetimeSeconds).toBeGreaterThanOrEqual(1.5);
    expect(r.facts.probes?.idleLifetimeSeconds).toBeLessThan(20);
    expect(r.items.find((i) => i.id === 'probe.idle')).toMatchObject({ status: 'warn', evidence: expect.stringMatching(/dropped after about [\d.]+ s/) });
    expect(ep.shells()).toEqual([]);
  }, 30_000);

  it('a shell that outlives the probe passes, and is deleted after', async () => {
    ep = await startEndpoint({ users: { alice: 'pw' }, auth: ['ntlm'] });
    const r = await checkHost(ep.url, { credential: { username: 'alice', password: 'pw' }, configurations: [], probes: { idleSeconds: 1, pollMs: 250 } });
    expect(r.facts.probes).toEqual({ idleLifetimeSeconds: null, idleProbeSeconds: 1 });
    expect(ep.shells()).toEqual([]);
  });
});

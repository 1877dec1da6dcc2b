// Kerberos as CredSSP's inner mechanism (MS-CSSP 3.1.5), both sides ours,
// in memory, with service tickets from the throw-away MIT realm (real
// tickets, real keytab): the legs and their fields (AP-REQ, AP-REP, then the
// binding without negoTokens, then authInfo), the delegated password, and
// the refusals: a ticket for another SPN, a keytab whose key does not match,
// a tampered pubKeyAuth, a binding to another TLS key, the server's binding
// altered on the way back.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CredSspAcceptor, CredSspInitiator } from '../../../src/auth/credssp/context.js';
import { subjectPublicKey } from '../../../src/auth/credssp/public-key.js';
import { decodeTSRequest, encodeTSRequest } from '../../../src/auth/credssp/ts-request.js';
import { KerberosAcceptor, ReplayCache, type ServiceKey } from '../../../src/auth/kerberos/gss/acceptor.js';
import { KerberosInitiator } from '../../../src/auth/kerberos/gss/initiator.js';
import { parseKeytab } from '../../../src/auth/kerberos/keytab.js';
import { NtlmAcceptor } from '../../../src/auth/ntlm/acceptor.js';
import { decodeNegotiationToken, OID_MS_KRB5 } from '../../../src/auth/spnego/tokens.js';
import { PsRemoteError } from '../../../src/errors.js';
import { kdcTicketSource } from '../../../src/transport/http/kerberos-tickets.js';
import { startKdc, type KdcRealm } from '../../helpers/kdc.js';
import { describeWithPeers } from '../../helpers/peers.js';
import { makePki, type Pki } from '../../transport/http/pki.js';

describeWithPeers('CredSSP with Kerberos inside (MIT realm)', ['mitKerberos'], () => {
  let realm: KdcRealm;
  let pki: Pki;
  let key: Uint8Array;
  let otherKey: Uint8Array;
  let keys: ServiceKey[];
  let staleKeys: ServiceKey[];

  beforeAll(async () => {
    realm = await startKdc();
    await realm.addUser('alice', 'Secret-1');
    const old = await realm.addService('HTTP/winrm.test', { keytab: `${realm.dir}/old.keytab` });
    staleKeys = parseKeytab(new Uint8Array(readFileSync(old))).entries;
    // New random keys (kvno 2): the old keytab no longer matches the KDC.
    await realm.kadmin(`cpw -randkey ${realm.qualify('HTTP/winrm.test')}`);
    keys = parseKeytab(new Uint8Array(readFileSync(await realm.exportKeytab('HTTP/winrm.test', `${realm.dir}/winrm.keytab`)))).entries;
    await realm.addService('HTTP/elsewhere.test', { keytab: `${realm.dir}/elsewhere.keytab` });
    pki = makePki();
    key = subjectPublicKey(new Uint8Array(new X509Certificate(pki.serverCert).raw));
    otherKey = subjectPublicKey(new Uint8Array(new X509Certificate(pki.namedCert).raw));
  });
  afterAll(async () => {
    pki?.cleanup();
    await realm?.stop();
  });

  const tickets = () => kdcTicketSource({ principal: 'alice@PSREMOTE.TEST', password: 'Secret-1', krb5Config: realm.krb5Conf, env: realm.env });
  async function pair(o: { spn?: string; serverKeys?: ServiceKey[]; serverPublicKey?: Uint8Array } = {}) {
    const ticket = await tickets().serviceTicket(o.spn ?? 'HTTP/winrm.test', { now: new Date() });
    const client = new CredSspInitiator({
      kerberos: new KerberosInitiator({ ticket, now: () => new Date() }),
      username: 'alice@PSREMOTE.TEST',
      password: 'Secret-1',
      serverPublicKey: o.serverPublicKey ?? key,
    });
    const server = new CredSspAcceptor({
      // NTLM too, as the endpoint has it: a Kerberos NegTokenInit must still go to Kerberos.
      ntlm: new NtlmAcceptor({ lookup: () => undefined, requireSealing: true }),
      kerberos: new KerberosAcceptor({ keys: o.serverKeys ?? keys, now: () => new Date(), replayCache: new ReplayCache() }),
      publicKey: key,
    });
    return { client, server };
  }
  /** The typed error `f` throws (a test failure if it returns or throws anything else). */
  const refusal = (f: () => unknown): PsRemoteError => {
    const e = ((): unknown => {
      try {
        return f();
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(PsRemoteError);
    return e as PsRemoteError;
  };

  test('the legs: AP-REQ, AP-REP, the binding alone both ways, authInfo; the password delegated, the principal authenticated', async () => {
    const { client, server } = await pair();
    expect(client.mechanism).toBe('kerberos');
    const t1 = decodeTSRequest(client.initial());
    const init = decodeNegotiationToken(t1.negoTokens![0]!);
    expect(init).toMatchObject({ kind: 'init', mechTypes: [OID_MS_KRB5, '1.2.840.113554.1.2.2'] });
    const s1 = server.step(encodeTSRequest(t1));
    const r1 = decodeTSRequest(s1.token!);
    expect(Object.keys(r1).sort()).toEqual(['negoTokens', 'version']);
    expect(decodeNegotiationToken(r1.negoTokens![0]!)).toMatchObject({ kind: 'resp', negState: 'accept-completed' });
    const t2 = decodeTSRequest(client.step(s1.token!));
    expect(Object.keys(t2).sort()).toEqual(['clientNonce', 'pubKeyAuth', 'version']);
    const s2 = server.step(encodeTSRequest(t2));
    expect(Object.keys(decodeTSRequest(s2.token!)).sort()).toEqual(['pubKeyAuth', 'version']);
    const t3 = client.step(s2.token!);
    expect(client.complete).toBe(true);
    expect(Buffer.from(t3).includes(Buffer.from('Secret-1', 'utf16le'))).toBe(false);
    const s3 = server.step(t3);
    expect(s3.token).toBeUndefined();
    expect(s3.accepted!.authenticated).toMatchObject({ mechanism: 'kerberos', user: 'alice@PSREMOTE.TEST' });
    expect(s3.accepted!.delegated).toEqual({ domainName: '', userName: 'alice@PSREMOTE.TEST', password: 'Secret-1' });
  });

  test('a ticket for another SPN is refused by the acceptor (no key for it), typed, before any binding', async () => {
    const { client, server } = await pair({ spn: 'HTTP/elsewhere.test' });
    const e = refusal(() => server.step(client.initial()));
    expect(e.code).toBe('PSR_AUTH_REJECTED');
    expect(e.message).toMatch(/HTTP\/elsewhere\.test@PSREMOTE\.TEST.*no key/);
  });

  test('a keytab out of date with the KDC (old key version) is refused, naming the key versions', async () => {
    const { client, server } = await pair({ serverKeys: staleKeys });
    const e = refusal(() => server.step(client.initial()));
    expect(e.code).toBe('PSR_AUTH_REJECTED');
    expect(e.message).toMatch(/KRB_AP_ERR_BADKEYVER/);
  });

  test('a tampered pubKeyAuth is refused: the wrap token no longer verifies', async () => {
    const { client, server } = await pair();
    const s1 = server.step(client.initial());
    const t2 = decodeTSRequest(client.step(s1.token!));
    const bad = new Uint8Array(t2.pubKeyAuth!);
    bad[bad.byteLength - 1]! ^= 1;
    const e = refusal(() => server.step(encodeTSRequest({ ...t2, pubKeyAuth: bad })));
    expect(e.code).toBe('PSR_AUTH_INTEGRITY');
    expect(server.state).toBe('failed');
  });

  test('a client bound to another TLS key (a man in the middle) is refused by the server, nothing delegated', async () => {
    const { client, server } = await pair({ serverPublicKey: otherKey });
    const s1 = server.step(client.initial());
    const e = refusal(() => server.step(client.step(s1.token!)));
    expect(e.code).toBe('PSR_AUTH_INTEGRITY');
    expect(e.message).toMatch(/public-key binding does not match: the client's pubKeyAuth/);
    expect(client.complete).toBe(false);
  });

  test("the server's binding altered on the way back: the client refuses and does not send the password", async () => {
    const { client, server } = await pair();
    const s1 = server.step(client.initial());
    const s2 = decodeTSRequest(server.step(client.step(s1.token!)).token!);
    const bad = new Uint8Array(s2.pubKeyAuth!);
    bad[20]! ^= 0x80;
    expect(refusal(() => client.step(encodeTSRequest({ ...s2, pubKeyAuth: bad }))).code).toBe('PSR_AUTH_INTEGRITY');
    expect(client.complete).toBe(false);
  });

  test('SPNEGO tokens after Kerberos completed are refused on both sides', async () => {
    const { client, server } = await pair();
    const s1 = server.step(client.initial());
    const t2 = decodeTSRequest(client.step(s1.token!));
    const e = refusal(() => server.step(encodeTSRequest({ ...t2, negoTokens: [new Uint8Array([0xa1, 0x00])] })));
    expect(e.code).toBe('PSR_AUTH_INVALID');
    expect(e.message).toMatch(/SPNEGO tokens after the inner mechanism completed/);
  });
});

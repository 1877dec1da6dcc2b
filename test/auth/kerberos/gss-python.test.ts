// psremote's GSS-API (src/auth/kerberos/gss) against an independent one:
// python3-gssapi over MIT's libgssapi, with tickets from MIT's own kinit/kvno
// and keys from kadmin.local, for each enctype and both directions: each side
// accepts the other's context token and unwraps the other's wrap tokens (the
// gss_wrap stream form and WinRM's gss_wrap_iov header/data form) and MICs.

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gssChannelBindings } from '../../../src/auth/channel-bindings.js';
import { KerberosAcceptor, ReplayCache } from '../../../src/auth/kerberos/gss/acceptor.js';
import { CFX_WINRM_HEADER } from '../../../src/auth/kerberos/gss/cfx.js';
import { KerberosInitiator } from '../../../src/auth/kerberos/gss/initiator.js';
import { startGssPeer, unb64, type GssPeer } from '../../helpers/gss-peer.js';
import { ENCTYPE_NUMBER, startKdc, type KdcEnctype, type KdcRealm } from '../../helpers/kdc.js';
import { readMitCcache, readMitKeytab } from '../../helpers/mit-files.js';
import { describeWithPeers } from '../../helpers/peers.js';

const ENCTYPES: readonly KdcEnctype[] = ['aes256', 'aes128', 'rc4'];
const text = (s: string) => new Uint8Array(Buffer.from(s));
const str = (b: Uint8Array) => Buffer.from(b).toString();

describeWithPeers('Kerberos GSS-API against python3-gssapi (MIT)', ['mitKerberos', 'pythonGssapi'], () => {
  let realm: KdcRealm;
  let ccache: string;
  const keytabs = new Map<KdcEnctype, string>();
  const peers: GssPeer[] = [];
  const peer = (env: NodeJS.ProcessEnv) => {
    const p = startGssPeer(env);
    peers.push(p);
    return p;
  };

  beforeAll(async () => {
    realm = await startKdc();
    await realm.addUser('alice', 'Secret-1');
    for (const e of ENCTYPES) keytabs.set(e, await realm.addService(`HTTP/${e}.localhost`, { enctypes: [e], keytab: `${realm.dir}/${e}.keytab` }));
    ccache = await realm.kinit('alice', { password: 'Secret-1' });
    for (const e of ENCTYPES) execFileSync('/usr/bin/kvno', ['-c', `FILE:${ccache}`, `HTTP/${e}.localhost`], { env: realm.env });
  });
  afterAll(async () => {
    for (const p of peers) await p.close();
    await realm?.stop();
  });

  function serviceTicket(e: KdcEnctype) {
    const cred = readMitCcache(ccache).credentials.find((c) => c.server.components.join('/') === `HTTP/${e}.localhost`)!;
    expect(cred.key.enctype).toBe(ENCTYPE_NUMBER[e]);
    return { ticket: cred.ticket, sessionKey: cred.key, client: { realm: cred.client.realm, components: cred.client.components } };
  }

  for (const e of ENCTYPES) {
    it(`${e}: psremote initiates, MIT accepts; wrap, wrap_iov and MIC both ways`, async () => {
      const py = peer({ ...realm.env, KRB5_KTNAME: `FILE:${keytabs.get(e)}` });
      const init = new KerberosInitiator({ ticket: serviceTicket(e), now: () => new Date() });
      const accepted = await py.call('accept', { token: init.initial() });
      expect(accepted.error).toBeUndefined();
      expect(accepted).toMatchObject({ complete: true, initiator: 'alice@PSREMOTE.TEST', delegated: null });
      const ctx = init.step(unb64(accepted.token as string));
      expect(init.complete).toBe(true);
      expect(ctx.key.enctype).toBe(ENCTYPE_NUMBER[e]);
      expect(ctx.acceptorSubkey).toBe(true);

      // gss_wrap stream tokens
      expect(str(unb64((await py.call('unwrap', { token: ctx.wrapToken(text('hello from psremote')) })).data as string))).toBe('hello from psremote');
      const fromMit = await py.call('wrap', { data: text('hello from MIT') });
      expect(str(ctx.unwrapToken(unb64(fromMit.token as string)))).toBe('hello from MIT');

      // WinRM's gss_wrap_iov(HEADER, DATA, PADDING) form, both ways
      const big = text('<s:Envelope>'.repeat(500));
      const mine = ctx.wrap(big);
      // as one gss_unwrap token, and as gss_unwrap_iov(HEADER, DATA) the way a WinRM server does
      const un = await py.call('unwrap', { token: new Uint8Array([...mine.signature, ...mine.sealed]) });
      expect(un.error).toBeUndefined();
      expect(str(unb64(un.data as string))).toBe(str(big));
      const mine2 = ctx.wrap(big);
      const un2 = await py.call('unwrap_iov', { header: mine2.signature, data: mine2.sealed });
      expect(un2.error).toBeUndefined();
      expect(str(unb64(un2.data as string)).slice(0, big.byteLength)).toBe(str(big));
      const iov = await py.call('wrap_iov', { data: big });
      const header = unb64(iov.header as string);
      const mitSealed = new Uint8Array([...unb64(iov.data as string), ...unb64(iov.padding as string)]);
      // The layouts agree byte for byte apart from the random confounder: header length, fixed fields, sealed length.
      expect(header.byteLength).toBe(mine.signature.byteLength);
      expect(mitSealed.byteLength).toBe(mine.sealed.byteLength);
      if (e !== 'rc4') {
        expect(header.byteLength).toBe(CFX_WINRM_HEADER);
        expect(Buffer.from(header.subarray(0, 8)).toString('hex')).toBe('050407ff0000001c'); // EC 0, RRC 28, from the acceptor with its subkey
        expect(Buffer.from(mine.signature.subarray(0, 8)).toString('hex')).toBe('050406ff0000001c');
      } else {
        expect(Buffer.from(header.subarray(13, 21)).toString('hex')).toBe(Buffer.from(mine.signature.subarray(13, 21)).toString('hex'));
      }
      expect(str(ctx.unwrap(mitSealed, header))).toBe(str(big));

      // MICs
      expect((await py.call('verify_mic', { data: text('signed'), token: ctx.getMic(text('signed')) })).ok).toBe(true);
      const mic = await py.call('mic', { data: text('mit signed') });
      expect(() => ctx.verifyMic(text('mit signed'), unb64(mic.token as string))).not.toThrow();
      expect(() => ctx.verifyMic(text('mit signed!'), unb64(mic.token as string))).toThrow(/does not verify/);

      // replay detection: the same MIT token twice
      const again = await py.call('wrap', { data: text('once') });
      ctx.unwrapToken(unb64(again.token as string));
      expect(() => ctx.unwrapToken(unb64(again.token as string))).toThrow(/replay/);
    });

    it(`${e}: MIT initiates, psremote accepts from the keytab; wrap and MIC both ways`, async () => {
      const py = peer({ ...realm.env, KRB5CCNAME: `FILE:${ccache}` });
      const first = await py.call('init', { spn: `HTTP@${e}.localhost` });
      expect(first.error).toBeUndefined();
      const acceptor = new KerberosAcceptor({ keys: readMitKeytab(keytabs.get(e)!), now: () => new Date(), replayCache: new ReplayCache() });
      const res = acceptor.accept(unb64(first.token as string));
      expect(res.clientName).toBe('alice@PSREMOTE.TEST');
      expect(res.service.components).toEqual(['HTTP', `${e}.localhost`]);
      const done = await py.call('step', { token: res.token });
      expect(done).toMatchObject({ complete: true });
      const ctx = res.context;
      const back = await py.call('unwrap', { token: ctx.wrapToken(text('from the acceptor')) });
      expect(back.error).toBeUndefined();
      expect(str(unb64(back.data as string))).toBe('from the acceptor');
      expect(str(ctx.unwrapToken(unb64((await py.call('wrap', { data: text('from MIT') })).token as string)))).toBe('from MIT');
      const iov = await py.call('wrap_iov', { data: text('iov data') });
      expect(str(ctx.unwrap(new Uint8Array([...unb64(iov.data as string), ...unb64(iov.padding as string)]), unb64(iov.header as string)))).toBe('iov data');
      const w = ctx.wrap(text('winrm reply'));
      expect(str(unb64((await py.call('unwrap', { token: new Uint8Array([...w.signature, ...w.sealed]) })).data as string))).toBe('winrm reply');
      expect((await py.call('verify_mic', { data: text('m'), token: ctx.getMic(text('m')) })).ok).toBe(true);
    });
  }

  it('delegation: the MIT acceptor takes the TGT psremote forwards in its KRB-CRED, and klist reads it', async () => {
    const py = peer({ ...realm.env, KRB5_KTNAME: `FILE:${keytabs.get('aes256')}` });
    const tgt = readMitCcache(ccache).credentials.find((c) => c.server.components[0] === 'krbtgt')!;
    const delegate = {
      ticket: tgt.ticket,
      sessionKey: tgt.key,
      client: { realm: tgt.client.realm, components: tgt.client.components },
      server: { realm: tgt.server.realm, components: tgt.server.components, nameType: tgt.server.nameType },
      flags: tgt.flags,
      authTime: tgt.authTime,
      endTime: tgt.endTime,
    };
    const init = new KerberosInitiator({ ticket: serviceTicket('aes256'), now: () => new Date(), delegate });
    const store = `${realm.dir}/delegated.ccache`;
    const res = await py.call('accept', { token: init.initial(), store });
    expect(res.error).toBeUndefined();
    expect(res).toMatchObject({ complete: true, delegated: 'alice@PSREMOTE.TEST' });
    expect(Number(res.flags) & 1).toBe(1); // GSS_C_DELEG_FLAG
    expect(await realm.klist(store)).toContain('krbtgt/PSREMOTE.TEST@PSREMOTE.TEST');
  });

  it('channel bindings: MIT accepts psremote\'s tls-server-end-point bindings and refuses others', async () => {
    const cb = gssChannelBindings(text('tls-server-end-point:0123456789abcdef0123456789abcdef'));
    const app = cb.subarray(20);
    const py = peer({ ...realm.env, KRB5_KTNAME: `FILE:${keytabs.get('aes256')}` });
    const init = new KerberosInitiator({ ticket: serviceTicket('aes256'), now: () => new Date(), channelBindings: cb });
    const ok = await py.call('accept', { token: init.initial(), cb: app });
    expect(ok).toMatchObject({ complete: true });
    const py2 = peer({ ...realm.env, KRB5_KTNAME: `FILE:${keytabs.get('aes256')}` });
    const init2 = new KerberosInitiator({ ticket: serviceTicket('aes256'), now: () => new Date(), channelBindings: cb });
    const bad = await py2.call('accept', { token: init2.initial(), cb: text('tls-server-end-point:something else') });
    expect(String(bad.error)).toMatch(/channel binding/i);
  });

  it('channel bindings: psremote\'s acceptor takes MIT\'s and refuses a mismatch or none', async () => {
    const appData = text('tls-server-end-point:fedcba9876543210');
    const keys = readMitKeytab(keytabs.get('aes128')!);
    const py = peer({ ...realm.env, KRB5CCNAME: `FILE:${ccache}` });
    const t = unb64((await py.call('init', { spn: 'HTTP@aes128.localhost', cb: appData })).token as string);
    const good = new KerberosAcceptor({ keys, now: () => new Date(), replayCache: new ReplayCache(), channelBindings: gssChannelBindings(appData) }).accept(t);
    expect(good.clientName).toBe('alice@PSREMOTE.TEST');
    const t2 = unb64((await peer({ ...realm.env, KRB5CCNAME: `FILE:${ccache}` }).call('init', { spn: 'HTTP@aes128.localhost', cb: appData })).token as string);
    expect(() => new KerberosAcceptor({ keys, now: () => new Date(), replayCache: new ReplayCache(), channelBindings: gssChannelBindings(text('tls-server-end-point:other')) }).accept(t2)).toThrow(
      expect.objectContaining({ code: 'PSR_AUTH_CHANNEL_BINDING' }),
    );
    const t3 = unb64((await peer({ ...realm.env, KRB5CCNAME: `FILE:${ccache}` }).call('init', { spn: 'HTTP@aes128.localhost' })).token as string);
    expect(() => new KerberosAcceptor({ keys, now: () => new Date(), replayCache: new ReplayCache(), channelBindings: gssChannelBindings(appData) }).accept(t3)).toThrow(/no channel bindings/);
  });

  it('the acceptor refuses a replayed AP-REQ, a clock beyond the skew, an unknown SPN and an expired ticket', async () => {
    const keys = readMitKeytab(keytabs.get('aes256')!);
    const cache = new ReplayCache();
    const token = new KerberosInitiator({ ticket: serviceTicket('aes256'), now: () => new Date() }).initial();
    new KerberosAcceptor({ keys, now: () => new Date(), replayCache: cache }).accept(token);
    expect(() => new KerberosAcceptor({ keys, now: () => new Date(), replayCache: cache }).accept(token)).toThrow(/KRB_AP_ERR_REPEAT/);
    const skewed = new KerberosInitiator({ ticket: serviceTicket('aes256'), now: () => new Date(Date.now() - 6 * 60_000) }).initial();
    expect(() => new KerberosAcceptor({ keys, now: () => new Date(), replayCache: cache }).accept(skewed)).toThrow(/KRB_AP_ERR_SKEW/);
    const other = readMitKeytab(keytabs.get('aes128')!);
    expect(() => new KerberosAcceptor({ keys: other, now: () => new Date(), replayCache: cache }).accept(new KerberosInitiator({ ticket: serviceTicket('aes256'), now: () => new Date() }).initial())).toThrow(
      /HTTP\/aes256.localhost@PSREMOTE.TEST, for which this server has no key/,
    );
    const later = () => new Date(Date.now() + 11 * 3600_000);
    expect(() => new KerberosAcceptor({ keys, now: later, replayCache: cache }).accept(new KerberosInitiator({ ticket: serviceTicket('aes256'), now: later }).initial())).toThrow(/KRB_AP_ERR_TKT_EXPIRED/);
  });
});

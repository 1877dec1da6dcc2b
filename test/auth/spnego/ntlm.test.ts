// NTLM inside SPNEGO in memory: the tokens of each leg, the mechListMIC both
// ways (sequence 0, RC4 handle restored: MS-SPNG 3.3.5.1 / 3.2.5.1), sealing
// afterwards starting at sequence 1 on the restored keystream, and the
// failures: a wrong, missing or replayed mechListMIC, an altered mechTypes
// list (downgrade), a server that rejects, a client that offers no NTLM.
// The tokens are produced by our own initiator and acceptor (no real capture
// of NTLM-in-SPNEGO with its keys exists in the fixtures).
import { describe, expect, test } from 'vitest';
import { NtlmAcceptor } from '../../../src/auth/ntlm/acceptor.js';
import { ntowfv1 } from '../../../src/auth/ntlm/crypto.js';
import { CLIENT_FLAGS } from '../../../src/auth/ntlm/flags.js';
import { NtlmInitiator } from '../../../src/auth/ntlm/initiator.js';
import { NtlmSessionSecurity } from '../../../src/auth/ntlm/session-security.js';
import { SpnegoNtlmAcceptor, SpnegoNtlmInitiator } from '../../../src/auth/spnego/ntlm.js';
import {
  decodeNegotiationToken,
  encodeMechTypes,
  encodeNegTokenInit,
  encodeNegTokenResp,
  innerTokenKind,
  OID_KRB5,
  OID_NTLM,
  type NegTokenInit,
  type NegTokenResp,
} from '../../../src/auth/spnego/tokens.js';

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const lookup = (user: string) => (user.toLowerCase() === 'alice' ? ntowfv1('Secret-1') : undefined);

function pair(password = 'Secret-1') {
  const i = new SpnegoNtlmInitiator(new NtlmInitiator({ credentials: { username: 'alice', password }, targetName: 'HTTP/winrm.test' }));
  const a = new SpnegoNtlmAcceptor(new NtlmAcceptor({ lookup, requireSealing: true }));
  return { i, a };
}
const seqOf = (signature: Uint8Array) => new DataView(signature.buffer, signature.byteOffset).getUint32(12, true);
const resp = (t: Uint8Array) => decodeNegotiationToken(t) as NegTokenResp;

describe('NTLM in SPNEGO', () => {
  test('the tokens of each leg, the mechListMIC both ways, then sealing from sequence 1', () => {
    const { i, a } = pair();
    const t1 = i.initial();
    const init = decodeNegotiationToken(t1) as NegTokenInit;
    expect(init).toMatchObject({ kind: 'init', mechTypes: [OID_NTLM] });
    expect(innerTokenKind(init.mechToken!)).toBe('ntlm-negotiate');
    expect(init.mechListMIC).toBeUndefined();

    const s1 = a.step(t1);
    expect(s1.result).toBeUndefined();
    const r1 = resp(s1.token);
    expect(r1).toMatchObject({ negState: 'accept-incomplete', supportedMech: OID_NTLM });
    expect(innerTokenKind(r1.responseToken!)).toBe('ntlm-challenge');

    const t2 = i.step(s1.token);
    const r2 = resp(t2);
    expect(r2.negState).toBeUndefined();
    expect(innerTokenKind(r2.responseToken!)).toBe('ntlm-authenticate');
    expect(r2.mechListMIC!.byteLength).toBe(16);
    expect(hex(r2.mechListMIC!.subarray(0, 4))).toBe('01000000'); // NTLMSSP_MESSAGE_SIGNATURE version 1
    expect(seqOf(r2.mechListMIC!)).toBe(0);

    const s2 = a.step(t2);
    expect(s2.result).toMatchObject({ user: 'alice', mic: true });
    const r3 = resp(s2.token);
    expect(r3.negState).toBe('accept-completed');
    expect(r3.responseToken).toBeUndefined();
    expect(seqOf(r3.mechListMIC!)).toBe(0);
    expect(hex(r3.mechListMIC!)).not.toBe(hex(r2.mechListMIC!)); // the server's own key

    i.finish(s2.token);
    expect(i.complete).toBe(true);
    const client = i.ntlm.session;
    const server = s2.result!.session!;
    expect(client.sequence).toEqual({ out: 1, in: 1 });
    expect(server.sequence).toEqual({ out: 1, in: 1 });
    const w = client.wrap(utf8('<s:Envelope>request</s:Envelope>'));
    expect(seqOf(w.signature)).toBe(1);
    expect(Buffer.from(server.unwrap(w.sealed, w.signature)).toString()).toBe('<s:Envelope>request</s:Envelope>');
    const back = server.wrap(utf8('response'));
    expect(seqOf(back.signature)).toBe(1);
    expect(Buffer.from(client.unwrap(back.sealed, back.signature)).toString()).toBe('response');
  });

  test('the mechListMIC leaves the RC4 handle where it was and consumes sequence 0 (checked against a session without it)', () => {
    const key = new Uint8Array(16).fill(0x55);
    const withMic = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'initiator');
    const without = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'initiator');
    const mic = withMic.signMechListMic(encodeMechTypes([OID_NTLM]));
    expect(seqOf(mic)).toBe(0);
    const m = utf8('first application message');
    const a = withMic.wrap(m);
    const b = without.wrap(m);
    expect(hex(a.sealed)).toBe(hex(b.sealed)); // same keystream position
    expect(seqOf(a.signature)).toBe(1);
    expect(seqOf(b.signature)).toBe(0);
    // The acceptor side verifies in the same way and then unseals message 1.
    const acceptor = new NtlmSessionSecurity(CLIENT_FLAGS, key, 'acceptor');
    acceptor.verifyMechListMic(encodeMechTypes([OID_NTLM]), mic);
    expect(Buffer.from(acceptor.unwrap(a.sealed, a.signature)).toString()).toBe('first application message');
  });

  test('a wrong mechListMIC from the client is refused', () => {
    const { i, a } = pair();
    const s1 = a.step(i.initial());
    const r2 = resp(i.step(s1.token));
    const bad = r2.mechListMIC!.slice();
    bad[6] = bad[6]! ^ 1;
    expect(() => a.step(encodeNegTokenResp({ responseToken: r2.responseToken!, mechListMIC: bad }))).toThrow(
      expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY', message: expect.stringMatching(/signature of message 0 does not verify/) }),
    );
    expect(a.state).toBe('failed');
  });

  test('a missing mechListMIC is refused when the AUTHENTICATE has a MIC (MS-SPNG <8>)', () => {
    const { i, a } = pair();
    const s1 = a.step(i.initial());
    const r2 = resp(i.step(s1.token));
    expect(() => a.step(encodeNegTokenResp({ responseToken: r2.responseToken! }))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' }));
  });

  test('an altered mechTypes list (a downgrade in transit) makes the mechListMIC fail', () => {
    const { i, a } = pair();
    const init = decodeNegotiationToken(i.initial()) as NegTokenInit;
    const altered = encodeNegTokenInit({ mechTypes: [OID_NTLM, '1.2.3.4'], mechToken: init.mechToken! });
    const s1 = a.step(altered);
    expect(() => a.step(i.step(s1.token))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' }));
  });

  test("a wrong, missing or replayed server mechListMIC is refused by the client", () => {
    for (const mutate of [
      (r: NegTokenResp) => ({ negState: 'accept-completed' as const, mechListMIC: r.mechListMIC!.map((b, k) => (k === 8 ? b ^ 0xff : b)) }),
      () => ({ negState: 'accept-completed' as const }),
    ]) {
      const { i, a } = pair();
      const s2 = a.step(i.step(a.step(i.initial()).token));
      expect(() => i.finish(encodeNegTokenResp(mutate(resp(s2.token))))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' }));
    }
    const { i, a } = pair();
    const t2 = i.step(a.step(i.initial()).token);
    a.step(t2);
    // The client's own mechListMIC sent back as the server's: another key, so it does not verify.
    expect(() => i.finish(encodeNegTokenResp({ negState: 'accept-completed', mechListMIC: resp(t2).mechListMIC! }))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' }));
    expect(() => pair().i.finish(undefined)).toThrow(/called in state initial/);
  });

  test('wrong password: the acceptor refuses the AUTHENTICATE', () => {
    const { i, a } = pair('nope');
    const s1 = a.step(i.initial());
    expect(() => a.step(i.step(s1.token))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_REJECTED' }));
  });

  test('NTLM not first (an optimistic Kerberos token): request-mic, then the NEGOTIATE in a NegTokenResp, and the mechListMIC is mandatory', () => {
    const ntlm = new NtlmInitiator({ credentials: { username: 'alice', password: 'Secret-1' } });
    const a = new SpnegoNtlmAcceptor(new NtlmAcceptor({ lookup, requireSealing: true }));
    const s0 = a.step(encodeNegTokenInit({ mechTypes: [OID_KRB5, OID_NTLM], mechToken: Uint8Array.of(0x60, 0) }));
    expect(resp(s0.token)).toEqual({ kind: 'resp', negState: 'request-mic', supportedMech: OID_NTLM });
    const s1 = a.step(encodeNegTokenResp({ responseToken: ntlm.negotiate() }));
    const r1 = resp(s1.token);
    expect(r1.negState).toBe('accept-incomplete');
    const auth = ntlm.authenticate(r1.responseToken!);
    const mic = ntlm.session.signMechListMic(encodeMechTypes([OID_KRB5, OID_NTLM]));
    const s2 = a.step(encodeNegTokenResp({ responseToken: auth, mechListMIC: mic }));
    expect(s2.result?.user).toBe('alice');
    ntlm.session.verifyMechListMic(encodeMechTypes([OID_KRB5, OID_NTLM]), resp(s2.token).mechListMIC!);
  });

  test('no NTLM offered, a NegTokenResp first, a server that rejects, a server that picks another mechanism', () => {
    const acc = () => new SpnegoNtlmAcceptor(new NtlmAcceptor({ lookup }));
    expect(() => acc().step(encodeNegTokenInit({ mechTypes: [OID_KRB5], mechToken: Uint8Array.of(1) }))).toThrow(
      expect.objectContaining({ code: 'PSR_AUTH_NEGOTIATION', message: expect.stringMatching(/accepts NTLM only/) }),
    );
    expect(() => acc().step(encodeNegTokenResp({ responseToken: Uint8Array.of(1) }))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INVALID' }));
    const { i } = pair();
    i.initial();
    expect(() => i.step(encodeNegTokenResp({ negState: 'reject' }))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_NEGOTIATION' }));
    const j = pair().i;
    j.initial();
    expect(() => j.step(encodeNegTokenResp({ negState: 'accept-incomplete', supportedMech: OID_KRB5, responseToken: Uint8Array.of(1) }))).toThrow(
      expect.objectContaining({ code: 'PSR_AUTH_NEGOTIATION', message: expect.stringMatching(/chose mechanism 1\.2\.840\.113554\.1\.2\.2/) }),
    );
    const k = pair().i;
    k.initial();
    expect(() => k.step(Uint8Array.of(0xa1, 0x05, 0x30))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INVALID' }));
  });
});

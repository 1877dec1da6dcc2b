// Initiator and acceptor in memory: the whole handshake, sealing both ways
// with the sequence numbers advancing, and every way it must fail: wrong
// password, unknown user, altered MIC, tampered or replayed seals, channel
// bindings missing or different, and a peer that will not seal.
import { describe, expect, test } from 'vitest';
import { NtlmAcceptor, type NtlmAcceptorOptions } from '../../../src/auth/ntlm/acceptor.js';
import { ntowfv1 } from '../../../src/auth/ntlm/crypto.js';
import { NtlmInitiator, type NtlmInitiatorOptions } from '../../../src/auth/ntlm/initiator.js';
import { decodeAuthenticate, decodeChallenge, encodeChallenge } from '../../../src/auth/ntlm/messages.js';
import { NTLMSSP_NEGOTIATE_SEAL, NTLMSSP_NEGOTIATE_KEY_EXCH } from '../../../src/auth/ntlm/flags.js';
import { resolveCredentials } from '../../../src/auth/ntlm/credentials.js';
import { gssChannelBindings } from '../../../src/auth/channel-bindings.js';

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const users: Record<string, Uint8Array> = { alice: ntowfv1('Secret-1'), bob: ntowfv1('hunter2') };
const lookup = (user: string) => users[user.split('@')[0]!.toLowerCase()];

function run(init: Partial<NtlmInitiatorOptions> & Pick<NtlmInitiatorOptions, 'credentials'>, acc: Partial<NtlmAcceptorOptions> = {}, cb?: Uint8Array) {
  const i = new NtlmInitiator({ targetName: 'HTTP/winrm.test', ...init });
  const a = new NtlmAcceptor({ lookup, requireSealing: true, ...acc });
  const challenge = a.challenge(i.negotiate());
  const authenticate = i.authenticate(challenge, cb);
  return { i, a, challenge, authenticate, accept: () => a.accept(authenticate) };
}

describe('a complete handshake', () => {
  test('user + password: both sides agree on flags and keys, and seal both ways in sequence', () => {
    const { i, accept, authenticate } = run({ credentials: { username: 'alice', password: 'Secret-1' } });
    const r = accept();
    expect(r.user).toBe('alice');
    expect(r.domain).toBe('');
    expect(r.flags).toBe(i.negotiatedFlags);
    expect(decodeAuthenticate(authenticate).mic).toBeDefined(); // our CHALLENGE has a timestamp, so a MIC is sent
    const server = r.session!;
    for (let n = 0; n < 3; n++) {
      const up = i.session.wrap(utf8(`request ${n}`));
      expect(Buffer.from(up.sealed).toString()).not.toContain('request');
      expect(Buffer.from(server.unwrap(up.sealed, up.signature)).toString()).toBe(`request ${n}`);
      const down = server.wrap(utf8(`response ${n}`));
      expect(Buffer.from(i.session.unwrap(down.sealed, down.signature)).toString()).toBe(`response ${n}`);
    }
    expect(i.session.sequence).toEqual({ out: 3, in: 3 });
    expect(server.sequence).toEqual({ out: 3, in: 3 });
  });

  test.each([
    ['DOMAIN\\user', { username: 'WORKGROUP\\Bob', password: 'hunter2' }, 'Bob', 'WORKGROUP'],
    ['user@domain (UPN, empty domain)', { username: 'bob@corp.example', password: 'hunter2' }, 'bob@corp.example', ''],
    ['NT hash instead of the password', { username: 'bob', ntHash: Buffer.from(ntowfv1('hunter2')).toString('hex') }, 'bob', ''],
    ['LM:NT hash form', { username: 'bob', ntHash: `aad3b435b51404eeaad3b435b51404ee:${Buffer.from(ntowfv1('hunter2')).toString('hex')}` }, 'bob', ''],
    ['domain option', { username: 'bob', domain: 'LAB', password: 'hunter2' }, 'bob', 'LAB'],
  ])('%s', (_name, credentials, user, domain) => {
    const r = run({ credentials }).accept();
    expect(r.user).toBe(user);
    expect(r.domain).toBe(domain);
  });

  test('credential errors are usage errors that never echo the secret', () => {
    expect(() => resolveCredentials({ username: 'x' })).toThrow(/password or an NT hash/);
    expect(() => resolveCredentials({ username: 'x', ntHash: 'zz-not-hex-secret' })).toThrow(expect.objectContaining({ code: 'PSR_USAGE', message: expect.not.stringContaining('zz-not-hex-secret') }));
    expect(() => resolveCredentials({ username: 'DOM\\', password: 'p' })).toThrow(/no user name/);
    expect(() => resolveCredentials({ username: 'x', password: 'p', ntHash: new Uint8Array(16) })).toThrow(/not both/);
  });
});

describe('failures', () => {
  test('wrong password and unknown user are PSR_AUTH_REJECTED, naming the user, not the password', () => {
    const wrong = run({ credentials: { username: 'alice', password: 'guess-123' } });
    expect(() => wrong.accept()).toThrow(expect.objectContaining({ code: 'PSR_AUTH_REJECTED', message: expect.stringMatching(/alice/) }));
    expect(() => wrong.accept()).toThrow(/called in state failed/);
    const unknown = run({ credentials: { username: 'mallory', password: 'x' } });
    expect(() => unknown.accept()).toThrow(expect.objectContaining({ code: 'PSR_AUTH_REJECTED' }));
  });

  test('an AUTHENTICATE altered in transit fails its MIC (here: the workstation name)', () => {
    const { authenticate, a } = run({ credentials: { username: 'alice', password: 'Secret-1' }, workstation: 'WS1' });
    const altered = new Uint8Array(authenticate);
    const m = decodeAuthenticate(authenticate);
    const ws = Buffer.from(authenticate).indexOf(Buffer.from('WS1', 'utf16le'));
    expect(ws).toBeGreaterThan(0);
    altered[ws] = 'X'.charCodeAt(0);
    expect(m.workstation).toBe('WS1');
    expect(() => a.accept(altered)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY', message: expect.stringMatching(/MIC/) }));
  });

  test('tampered, reordered and replayed sealed messages fail with PSR_AUTH_INTEGRITY', () => {
    const { i, accept } = run({ credentials: { username: 'alice', password: 'Secret-1' } });
    const server = accept().session!;
    const m1 = i.session.wrap(utf8('first'));
    const tampered = new Uint8Array(m1.sealed);
    tampered[0]! ^= 1;
    expect(() => server.unwrap(tampered, m1.signature)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' }));
    // The context is broken for good afterwards.
    expect(() => server.unwrap(m1.sealed, m1.signature)).toThrow(/failed an integrity check earlier/);

    const second = run({ credentials: { username: 'alice', password: 'Secret-1' } });
    const s2 = second.accept().session!;
    const a = second.i.session.wrap(utf8('a'));
    const b = second.i.session.wrap(utf8('b'));
    expect(() => s2.unwrap(b.sealed, b.signature)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' })); // out of order
    void a;

    const third = run({ credentials: { username: 'alice', password: 'Secret-1' } });
    const s3 = third.accept().session!;
    const x = third.i.session.wrap(utf8('x'));
    expect(Buffer.from(s3.unwrap(x.sealed, x.signature)).toString()).toBe('x');
    expect(() => s3.unwrap(x.sealed, x.signature)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' })); // replay
    expect(() => s3.unwrap(x.sealed, new Uint8Array(8))).toThrow(/failed an integrity check earlier|16/);
  });

  test('channel bindings: matching passes, a different channel or none under strict fails with PSR_AUTH_CHANNEL_BINDING', () => {
    const cb = gssChannelBindings(utf8('tls-server-end-point:aaaa'));
    const other = gssChannelBindings(utf8('tls-server-end-point:bbbb'));
    const cred = { credentials: { username: 'alice', password: 'Secret-1' } };
    expect(run(cred, { channelBindings: cb, channelBindingPolicy: 'strict' }, cb).accept().channelBound).toBe(true);
    expect(() => run(cred, { channelBindings: cb, channelBindingPolicy: 'relaxed' }, other).accept()).toThrow(expect.objectContaining({ code: 'PSR_AUTH_CHANNEL_BINDING' }));
    expect(() => run(cred, { channelBindings: cb, channelBindingPolicy: 'strict' }).accept()).toThrow(
      expect.objectContaining({ code: 'PSR_AUTH_CHANNEL_BINDING', message: expect.stringMatching(/sent no channel bindings/) }),
    );
    // relaxed accepts a client that sends none; none ignores even a wrong one
    expect(run(cred, { channelBindings: cb, channelBindingPolicy: 'relaxed' }).accept().channelBound).toBe(false);
    expect(run(cred, { channelBindings: cb, channelBindingPolicy: 'none' }, other).accept().channelBound).toBe(false);
    // over http (no server bindings) strict has nothing to check
    expect(run(cred, { channelBindingPolicy: 'strict' }).accept().channelBound).toBe(false);
  });

  test('a server that will not seal is refused by the client (PSR_AUTH_NEGOTIATION), and vice versa', () => {
    const i = new NtlmInitiator({ credentials: { username: 'alice', password: 'Secret-1' } });
    const a = new NtlmAcceptor({ lookup });
    const c = decodeChallenge(a.challenge(i.negotiate()));
    const weak = encodeChallenge({ flags: c.flags & ~NTLMSSP_NEGOTIATE_SEAL & ~NTLMSSP_NEGOTIATE_KEY_EXCH, serverChallenge: c.serverChallenge, targetName: c.targetName, targetInfo: c.targetInfoBytes });
    expect(() => i.authenticate(weak)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_NEGOTIATION', message: expect.stringMatching(/SEAL, KEY_EXCH/) }));

    const https = new NtlmInitiator({ credentials: { username: 'alice', password: 'Secret-1' }, requireSealing: false });
    const strictServer = new NtlmAcceptor({ lookup, requireSealing: true });
    const c2 = decodeChallenge(strictServer.challenge(https.negotiate()));
    const noSeal = encodeChallenge({ flags: c2.flags & ~NTLMSSP_NEGOTIATE_SEAL, serverChallenge: c2.serverChallenge, targetName: c2.targetName, targetInfo: c2.targetInfoBytes });
    expect(() => strictServer.accept(https.authenticate(noSeal))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_NEGOTIATION', message: expect.stringMatching(/did not agree to SEAL/) }));
  });

  test('an old timestamp is outside MaxLifetime', () => {
    let now = Date.UTC(2026, 0, 1);
    const i = new NtlmInitiator({ credentials: { username: 'alice', password: 'Secret-1' } });
    const a = new NtlmAcceptor({ lookup, now: () => now });
    const challenge = a.challenge(i.negotiate());
    const auth = i.authenticate(challenge);
    now += 37 * 3600_000;
    expect(() => a.accept(auth)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_REJECTED', message: expect.stringMatching(/lifetime/) }));
  });

  test('calls out of order are usage errors', () => {
    const i = new NtlmInitiator({ credentials: { username: 'alice', password: 'Secret-1' } });
    expect(() => i.authenticate(new Uint8Array(0))).toThrow(/state initial/);
    expect(() => i.session).toThrow(/not complete/);
    i.negotiate();
    expect(() => i.negotiate()).toThrow(/state negotiate-sent/);
    const a = new NtlmAcceptor({ lookup });
    expect(() => a.accept(new Uint8Array(0))).toThrow(/state initial/);
  });
});

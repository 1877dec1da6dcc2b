// Every value of MS-NLMP section 4.2 (fixtures/upstream/spec-MS-NLMP): the
// NTLMv2 exchange of 4.2.4 (keys, responses, the CHALLENGE and AUTHENTICATE
// messages, GSS_WrapEx) and the NTLMv1 extended-session-security values of
// 4.2.3 that do not need DES (key exchange key, 56-bit sealing key, signing
// key, GSS_WrapEx without key exchange).
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  computeNtlmv2Response,
  encryptSessionKey,
  kxkeyV1Ess,
  md5,
  ntlmv2ClientChallenge,
  ntowfv1,
  ntowfv2,
  sealKey,
  signKey,
} from '../../../src/auth/ntlm/crypto.js';
import { md4 } from '../../../src/auth/ntlm/md4.js';
import { decodeAuthenticate, decodeChallenge, encodeAuthenticate, encodeChallenge } from '../../../src/auth/ntlm/messages.js';
import { NtlmSessionSecurity } from '../../../src/auth/ntlm/session-security.js';
import { avPairName, avStringValue, decodeAvPairs } from '../../../src/auth/ntlm/av-pairs.js';
import { NtlmInitiator } from '../../../src/auth/ntlm/initiator.js';

const V = JSON.parse(readFileSync(new URL('../../../fixtures/upstream/spec-MS-NLMP/ms-nlmp-4.2-test-vectors.json', import.meta.url), 'utf8'));
const C = V.common;
const v2 = V.ntlmv2_4_2_4;
const v1 = V.ntlm_v1_ess_4_2_3;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const flagsOf = (h: string) => parseInt(h, 16) >>> 0;

describe('4.2.4 NTLMv2 authentication', () => {
  const ntHash = ntowfv1(C.password);
  const responseKey = ntowfv2(ntHash, C.user, C.domain);
  const temp = bytes(v2.temp);
  const r = computeNtlmv2Response(responseKey, bytes(C.server_challenge), bytes(C.client_challenge), temp);

  test('NTOWFv1, NTOWFv2', () => {
    expect(hex(ntHash)).toBe(v2.NTOWFv1);
    expect(hex(responseKey)).toBe(v2.NTOWFv2);
  });

  test('temp is built from the time, the client challenge and the server TargetInfo', () => {
    const challenge = decodeChallenge(bytes(v2.challenge_message));
    expect(hex(ntlmv2ClientChallenge(bytes(C.time), bytes(C.client_challenge), challenge.targetInfoBytes))).toBe(v2.temp);
  });

  test('NTProofStr, NtChallengeResponse, LMv2 response, session base key', () => {
    expect(hex(r.ntProofStr)).toBe(v2.nt_proof_str);
    expect(hex(r.ntChallengeResponse)).toBe(v2.nt_challenge_response);
    expect(hex(r.lmChallengeResponse)).toBe(v2.lmv2_response);
    expect(hex(r.sessionBaseKey)).toBe(v2.session_base_key);
    expect(v2.key_exchange_key).toBe(v2.session_base_key); // NTLMv2: KXKEY = SessionBaseKey
  });

  test('EncryptedRandomSessionKey = RC4K(KeyExchangeKey, RandomSessionKey)', () => {
    expect(hex(encryptSessionKey(r.sessionBaseKey, bytes(C.random_session_key)))).toBe(v2.encrypted_random_session_key);
  });

  test('signing and sealing keys of both directions', () => {
    const f = flagsOf(v2.negotiate_flags);
    const esk = bytes(C.random_session_key);
    expect(hex(signKey(f, esk, 'Client')!)).toBe(v2.client_signing_key);
    expect(hex(sealKey(f, esk, 'Client'))).toBe(v2.client_sealing_key);
    expect(hex(signKey(f, esk, 'Server')!)).toBe(v2.server_signing_key);
    expect(hex(sealKey(f, esk, 'Server'))).toBe(v2.server_sealing_key);
  });

  test('GSS_WrapEx of "Plaintext" (sequence 0): sealed data and signature', () => {
    const s = new NtlmSessionSecurity(flagsOf(v2.negotiate_flags), bytes(C.random_session_key), 'initiator');
    const w = s.wrap(bytes(C.plaintext_utf16le_Plaintext));
    expect(hex(w.sealed)).toBe(v2.gss_wrapex.sealed_data);
    expect(hex(w.signature)).toBe(v2.gss_wrapex.signature);
    expect(hex(w.signature.subarray(4, 12))).toBe(v2.gss_wrapex.rc4_encrypted_checksum);
    // The server side unwraps it with the same keys.
    const server = new NtlmSessionSecurity(flagsOf(v2.negotiate_flags), bytes(C.random_session_key), 'acceptor');
    expect(hex(server.unwrap(w.sealed, w.signature))).toBe(C.plaintext_utf16le_Plaintext);
  });

  test('the CHALLENGE_MESSAGE decodes to the spec values and encodes back byte for byte', () => {
    const m = decodeChallenge(bytes(v2.challenge_message));
    expect(m.flags).toBe(flagsOf(v2.negotiate_flags));
    expect(hex(m.serverChallenge)).toBe(C.server_challenge);
    expect(m.targetName).toBe(C.server_name);
    expect(m.targetInfo.map((p) => [avPairName(p.id), avStringValue(p.value)])).toEqual([
      ['MsvAvNbDomainName', C.domain],
      ['MsvAvNbComputerName', C.server_name],
    ]);
    expect(m.timestamp).toBeUndefined();
    expect(m.version).toEqual({ major: 6, minor: 0, build: 6000, revision: 15 });
    const again = encodeChallenge({ flags: m.flags, serverChallenge: m.serverChallenge, targetName: m.targetName, targetInfo: m.targetInfoBytes, version: m.version });
    expect(hex(again)).toBe(v2.challenge_message);
  });

  test('the AUTHENTICATE_MESSAGE decodes to the spec values and encodes back byte for byte', () => {
    const m = decodeAuthenticate(bytes(v2.authenticate_message));
    expect(m.user).toBe(C.user);
    expect(m.domain).toBe(C.domain);
    expect(m.workstation).toBe(C.workstation);
    expect(hex(m.lmChallengeResponse)).toBe(v2.lmv2_response);
    expect(hex(m.ntChallengeResponse)).toBe(v2.nt_challenge_response);
    expect(hex(m.encryptedRandomSessionKey)).toBe(v2.encrypted_random_session_key);
    expect(m.mic).toBeUndefined(); // the 4.2.4 message predates the MIC: a 72-byte header
    const again = encodeAuthenticate({
      flags: m.flags,
      lmChallengeResponse: m.lmChallengeResponse,
      ntChallengeResponse: m.ntChallengeResponse,
      domain: m.domain,
      user: m.user,
      workstation: m.workstation,
      encryptedRandomSessionKey: m.encryptedRandomSessionKey,
      version: m.version!,
      withMic: false,
    });
    expect(hex(again)).toBe(v2.authenticate_message);
  });

  test('our initiator, given the spec inputs, produces a response the spec keys verify, and the spec session keys', () => {
    const random = (n: number) => bytes(n === 8 ? C.client_challenge : C.random_session_key);
    const i = new NtlmInitiator({ credentials: { username: `${C.domain}\\${C.user}`, password: C.password }, workstation: C.workstation, random });
    i.negotiate();
    const m = decodeAuthenticate(i.authenticate(bytes(v2.challenge_message)));
    expect(m.user).toBe(C.user);
    expect(m.domain).toBe(C.domain);
    expect(m.workstation).toBe(C.workstation);
    // No MsvAvTimestamp in this challenge: no MIC, and the LMv2 response is sent.
    expect(m.mic).toBeUndefined();
    expect(hex(m.lmChallengeResponse)).toBe(v2.lmv2_response);
    // Our temp adds MsvAvChannelBindings (zeros: no TLS) and an empty MsvAvTargetName
    // to the server's pairs (3.1.5.1.2), so NTProofStr differs from the spec's; check it
    // against NTOWFv2 instead, and the key chain from there.
    const temp = m.ntChallengeResponse.subarray(16);
    const pairs = decodeAvPairs(temp.subarray(28), 'temp', 'zeros');
    expect(pairs.map((p) => [avPairName(p.id), hex(p.value)])).toEqual([
      ['MsvAvNbDomainName', hex(Buffer.from(C.domain, 'utf16le'))],
      ['MsvAvNbComputerName', hex(Buffer.from(C.server_name, 'utf16le'))],
      ['MsvAvChannelBindings', '00'.repeat(16)],
      ['MsvAvTargetName', ''],
    ]);
    expect(hex(temp.subarray(16, 24))).toBe(C.client_challenge);
    const mine = computeNtlmv2Response(bytes(v2.NTOWFv2), bytes(C.server_challenge), bytes(C.client_challenge), temp);
    expect(hex(m.ntChallengeResponse.subarray(0, 16))).toBe(hex(mine.ntProofStr));
    expect(hex(encryptSessionKey(mine.sessionBaseKey, m.encryptedRandomSessionKey))).toBe(C.random_session_key);
    const w = i.session.wrap(bytes(C.plaintext_utf16le_Plaintext));
    expect(hex(w.sealed)).toBe(v2.gss_wrapex.sealed_data);
    expect(hex(w.signature)).toBe(v2.gss_wrapex.signature);
  });
});

describe('4.2.3 NTLMv1 with extended session security (the values that need no DES)', () => {
  const f = flagsOf(v1.negotiate_flags);
  const sessionBaseKey = md4(ntowfv1(C.password));
  // With ESS the LM response field is the client challenge padded with zeros.
  const lm = new Uint8Array(24);
  lm.set(bytes(C.client_challenge));
  const kxkey = kxkeyV1Ess(sessionBaseKey, bytes(C.server_challenge), lm);

  test('NTOWFv1, session base key, key exchange key', () => {
    expect(hex(ntowfv1(C.password))).toBe(v1.NTOWFv1);
    expect(hex(sessionBaseKey)).toBe(v1.session_base_key);
    expect(hex(kxkey)).toBe(v1.key_exchange_key);
  });

  test('56-bit client sealing key and client signing key (no KEY_EXCH: the exported key is the KXKEY)', () => {
    expect(hex(sealKey(f, kxkey, 'Client'))).toBe(v1.sealing_key_56bit_client);
    expect(hex(signKey(f, kxkey, 'Client')!)).toBe(v1.signing_key_client);
    expect(hex(md5(kxkey.subarray(0, 7), new Uint8Array(Buffer.from('session key to client-to-server sealing key magic constant\0', 'latin1'))))).toBe(
      v1.sealing_key_56bit_client,
    );
  });

  test('GSS_WrapEx without key exchange: the checksum is not RC4-encrypted', () => {
    const s = new NtlmSessionSecurity(f, kxkey, 'initiator');
    const w = s.wrap(bytes(v1.gss_wrapex.plaintext));
    expect(hex(w.sealed)).toBe(v1.gss_wrapex.sealed_data);
    expect(hex(w.signature)).toBe(v1.gss_wrapex.signature);
    expect(hex(w.signature.subarray(4, 12))).toBe(v1.gss_wrapex.checksum);
  });
});

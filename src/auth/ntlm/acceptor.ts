// The server side of connection-oriented NTLMv2 (MS-NLMP 3.2.5.1), built from
// the same messages and crypto as the initiator: NEGOTIATE in, CHALLENGE out,
// AUTHENTICATE in, verified against a local user table (user → NT hash), with
// the MIC, the timestamp and (per policy) the channel bindings checked. Used
// by the local endpoint (`psremote serve --auth ntlm`). Only NTLMv2 is
// accepted; anonymous and NTLMv1 logons are refused.

import { randomBytes } from 'node:crypto';
import { UsageError } from '../../errors.js';
import { AuthFailedError, AuthIntegrityError, AuthProtocolError, AuthRejectedError, tokenReader } from '../errors.js';
import { AV_FLAG_MIC_PRESENT, avString, avU32, decodeAvPairs, encodeAvPairs, findAvPair, MsvAvChannelBindings, MsvAvDnsComputerName, MsvAvDnsDomainName, MsvAvFlags, MsvAvNbComputerName, MsvAvNbDomainName, MsvAvTimestamp } from './av-pairs.js';
import { constantTimeEqual, decryptSessionKey, fileTimeNow, fileTimeToMs, hmacMd5, md5, ntowfv2, usesKeyExchange } from './crypto.js';
import { CLIENT_FLAGS, flagNames, hasFlag, NTLM_NEGOTIATE_OEM, NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, NTLMSSP_NEGOTIATE_KEY_EXCH, NTLMSSP_NEGOTIATE_NTLM, NTLMSSP_NEGOTIATE_SEAL, NTLMSSP_NEGOTIATE_SIGN, NTLMSSP_NEGOTIATE_TARGET_INFO, NTLMSSP_NEGOTIATE_UNICODE, NTLMSSP_NEGOTIATE_VERSION, NTLMSSP_TARGET_TYPE_SERVER } from './flags.js';
import { decodeAuthenticate, decodeNegotiate, encodeChallenge, MIC_OFFSET } from './messages.js';
import { NtlmSessionSecurity } from './session-security.js';

/** Finds the NT hash of a user; `domain` is what the client sent (may be empty). */
export type NtlmUserLookup = (user: string, domain: string) => Uint8Array | undefined;

/**
 * Channel binding policy, as WinRM's CbtHardeningLevel: `none` ignores it,
 * `relaxed` checks bindings a client sends, `strict` requires them over TLS.
 */
export type ChannelBindingPolicy = 'none' | 'relaxed' | 'strict';

export interface NtlmAcceptorOptions {
  readonly lookup: NtlmUserLookup;
  /** NetBIOS computer name (default PSREMOTE) and domain (default: the computer name, as a workgroup host). */
  readonly netbiosComputer?: string;
  readonly netbiosDomain?: string;
  readonly dnsComputer?: string;
  readonly dnsDomain?: string;
  /** The server's unhashed gss_channel_bindings_struct (https), undefined over http. */
  readonly channelBindings?: Uint8Array | undefined;
  readonly channelBindingPolicy?: ChannelBindingPolicy;
  /** Refuse clients that do not agree to 128-bit sign + seal with key exchange. */
  readonly requireSealing?: boolean;
  /** Largest difference between the client's timestamp and now (MaxLifetime, default 36 h). */
  readonly maxLifetimeMs?: number;
  readonly random?: (n: number) => Uint8Array;
  readonly now?: () => number;
}

export interface NtlmAcceptResult {
  readonly user: string;
  readonly domain: string;
  readonly workstation: string;
  readonly flags: number;
  /** Whether the client sent (matching) channel bindings. */
  readonly channelBound: boolean;
  /** Whether the AUTHENTICATE carried a (verified) MIC: SPNEGO then requires a mechListMIC (MS-SPNG <8>). */
  readonly mic: boolean;
  readonly session: NtlmSessionSecurity | undefined;
}

type State = 'initial' | 'challenge-sent' | 'complete' | 'failed';

export class NtlmAcceptor {
  readonly #o: NtlmAcceptorOptions;
  #state: State = 'initial';
  #negotiate: Uint8Array | undefined;
  #challenge: Uint8Array | undefined;
  #serverChallenge: Uint8Array | undefined;

  constructor(options: NtlmAcceptorOptions) {
    this.#o = options;
  }

  get state(): State {
    return this.#state;
  }

  /** Reads a NEGOTIATE_MESSAGE and returns the CHALLENGE_MESSAGE. */
  challenge(negotiateToken: Uint8Array): Uint8Array {
    if (this.#state !== 'initial') throw new UsageError(`NTLM challenge() called in state ${this.#state}`);
    const neg = decodeNegotiate(negotiateToken);
    const wanted = neg.flags;
    let flags = (wanted & CLIENT_FLAGS) | NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_TARGET_TYPE_SERVER | NTLMSSP_NEGOTIATE_VERSION;
    if (!hasFlag(wanted, NTLMSSP_NEGOTIATE_UNICODE)) flags = (flags & ~NTLMSSP_NEGOTIATE_UNICODE) | NTLM_NEGOTIATE_OEM;
    const random = this.#o.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const computer = (this.#o.netbiosComputer ?? 'PSREMOTE').toUpperCase();
    const domain = (this.#o.netbiosDomain ?? computer).toUpperCase();
    const targetInfo = encodeAvPairs([
      { id: MsvAvNbDomainName, value: avString(domain) },
      { id: MsvAvNbComputerName, value: avString(computer) },
      { id: MsvAvDnsDomainName, value: avString(this.#o.dnsDomain ?? domain.toLowerCase()) },
      { id: MsvAvDnsComputerName, value: avString(this.#o.dnsComputer ?? computer.toLowerCase()) },
      { id: MsvAvTimestamp, value: fileTimeNow(this.#o.now?.()) },
    ]);
    this.#serverChallenge = random(8);
    this.#negotiate = negotiateToken;
    this.#challenge = encodeChallenge({ flags: flags >>> 0, serverChallenge: this.#serverChallenge, targetName: domain, targetInfo });
    this.#state = 'challenge-sent';
    return this.#challenge;
  }

  /**
   * Verifies an AUTHENTICATE_MESSAGE. Throws AuthRejectedError (wrong
   * credentials, bindings or flags), AuthIntegrityError (MIC) or
   * AuthProtocolError (malformed); the acceptor is then unusable.
   */
  accept(authenticateToken: Uint8Array): NtlmAcceptResult {
    if (this.#state !== 'challenge-sent') throw new UsageError(`NTLM accept() called in state ${this.#state}`);
    this.#state = 'failed';
    const where = 'AUTHENTICATE_MESSAGE';
    const auth = decodeAuthenticate(authenticateToken);
    const who = auth.domain ? `${auth.domain}\\${auth.user}` : auth.user;
    if (!auth.user && auth.ntChallengeResponse.byteLength === 0) throw new AuthRejectedError('anonymous NTLM logons are not accepted');
    if (auth.ntChallengeResponse.byteLength <= 24) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `NTLMv1 response from ${who} refused: only NTLMv2 is accepted`);
    if (!hasFlag(auth.flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) && (hasFlag(auth.flags, NTLMSSP_NEGOTIATE_SIGN) || hasFlag(auth.flags, NTLMSSP_NEGOTIATE_SEAL))) {
      throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'signing or sealing without extended session security is not supported');
    }
    if (this.#o.requireSealing) {
      const need = NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_KEY_EXCH | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;
      if ((auth.flags & need) !== need) {
        throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `${who} did not agree to ${flagNames(need & ~auth.flags).join(', ')}, which message encryption needs`);
      }
    }

    // NTLMv2_RESPONSE: NTProofStr(16) then the NTLMv2_CLIENT_CHALLENGE ("temp").
    const ntProofStr = auth.ntChallengeResponse.subarray(0, 16);
    const temp = auth.ntChallengeResponse.subarray(16);
    const r = tokenReader(temp, `${where} NTLMv2_CLIENT_CHALLENGE`);
    const respType = r.u8('RespType');
    const hiRespType = r.u8('HiRespType');
    if (respType !== 1 || hiRespType !== 1) throw new AuthProtocolError(`NTLMv2_CLIENT_CHALLENGE version ${respType}.${hiRespType}, expected 1.1`, where);
    r.skip(6, 'Reserved');
    const time = r.u64le('TimeStamp');
    r.skip(8, 'ChallengeFromClient');
    r.skip(4, 'Reserved3');
    const pairs = decodeAvPairs(r.rest(), `${where} NTLMv2 AvPairs`, 'zeros');

    const ntHash = this.#o.lookup(auth.user, auth.domain);
    const verify = (domain: string): Uint8Array | undefined => {
      if (!ntHash) return undefined;
      const key = ntowfv2(ntHash, auth.user, domain);
      return constantTimeEqual(hmacMd5(key, this.#serverChallenge!, temp), ntProofStr) ? key : undefined;
    };
    // 3.2.5.1.2: retry with a NIL domain name before giving up.
    const responseKey = verify(auth.domain) ?? (auth.domain ? verify('') : undefined);
    if (!responseKey) throw new AuthRejectedError(`the NTLMv2 response of ${who} does not verify (unknown user or wrong password)`);

    const now = this.#o.now?.() ?? Date.now();
    const maxLifetime = this.#o.maxLifetimeMs ?? 36 * 3600_000;
    if (Math.abs(fileTimeToMs(time) - now) > maxLifetime) throw new AuthRejectedError(`the NTLMv2 timestamp of ${who} is outside the allowed lifetime`);

    const keyExchangeKey = hmacMd5(responseKey, ntProofStr); // SessionBaseKey = KXKEY for NTLMv2
    let exportedSessionKey = keyExchangeKey;
    if (usesKeyExchange(auth.flags)) {
      if (auth.encryptedRandomSessionKey.byteLength !== 16) {
        throw new AuthProtocolError(`EncryptedRandomSessionKey is ${auth.encryptedRandomSessionKey.byteLength} bytes with KEY_EXCH negotiated, expected 16`, where);
      }
      exportedSessionKey = decryptSessionKey(keyExchangeKey, auth.encryptedRandomSessionKey);
    }

    const avFlags = findAvPair(pairs, MsvAvFlags);
    const withMic = avFlags !== undefined && (avU32(avFlags) & AV_FLAG_MIC_PRESENT) !== 0;
    if (withMic) {
      if (!auth.mic) throw new AuthProtocolError('MsvAvFlags announces a MIC but the message has no MIC field', where);
      const zeroed = new Uint8Array(authenticateToken);
      zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
      const mic = hmacMd5(exportedSessionKey, this.#negotiate!, this.#challenge!, zeroed);
      if (!constantTimeEqual(mic, auth.mic)) throw new AuthIntegrityError(`the MIC of the NTLM AUTHENTICATE from ${who} does not verify (a message was altered)`);
    }

    const channelBound = this.#checkBindings(findAvPair(pairs, MsvAvChannelBindings), who);
    const session = hasFlag(auth.flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY) ? new NtlmSessionSecurity(auth.flags, exportedSessionKey, 'acceptor') : undefined;
    this.#state = 'complete';
    // MsvAvTargetName is not checked: this server has no SPN validation policy.
    return { user: auth.user, domain: auth.domain, workstation: auth.workstation, flags: auth.flags, channelBound, mic: withMic, session };
  }

  #checkBindings(clientHash: Uint8Array | undefined, who: string): boolean {
    const policy = this.#o.channelBindingPolicy ?? 'relaxed';
    const server = this.#o.channelBindings;
    if (policy === 'none' || !server) return false;
    const sent = clientHash !== undefined && clientHash.some((b) => b !== 0);
    if (!sent) {
      if (policy === 'strict') throw new AuthFailedError('PSR_AUTH_CHANNEL_BINDING', `${who} sent no channel bindings and this server requires them (strict)`);
      return false;
    }
    if (!constantTimeEqual(md5(server), clientHash!)) {
      throw new AuthFailedError('PSR_AUTH_CHANNEL_BINDING', `the channel bindings of ${who} do not match this TLS channel (another certificate: a proxy or an attack)`);
    }
    return true;
  }
}

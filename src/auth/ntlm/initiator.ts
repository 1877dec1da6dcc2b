// The client side of connection-oriented NTLMv2 (MS-NLMP 3.1.5.1): NEGOTIATE
// out, CHALLENGE in, AUTHENTICATE out, with key exchange, MIC, MsvAvFlags,
// channel bindings and MsvAvTargetName. Sans-I/O: tokens in and out; the HTTP
// layer carries them. Randomness and the clock can be injected for tests.

import { randomBytes } from 'node:crypto';
import { UsageError } from '../../errors.js';
import { AuthFailedError } from '../errors.js';
import { AV_FLAG_MIC_PRESENT, avString, avU32, encodeAvPairs, findAvPair, MsvAvChannelBindings, MsvAvFlags, MsvAvNbComputerName, MsvAvNbDomainName, MsvAvTargetName, u32Bytes, type AvPair } from './av-pairs.js';
import { resolveCredentials, type NtlmCredentials, type ResolvedCredentials } from './credentials.js';
import { computeNtlmv2Response, encryptSessionKey, fileTimeNow, hmacMd5, md5, ntlmv2ClientChallenge, ntowfv2, usesKeyExchange } from './crypto.js';
import { CLIENT_FLAGS, flagNames, hasFlag, NTLM_NEGOTIATE_OEM, NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, NTLMSSP_NEGOTIATE_KEY_EXCH, NTLMSSP_NEGOTIATE_SEAL, NTLMSSP_NEGOTIATE_SIGN, NTLMSSP_NEGOTIATE_UNICODE } from './flags.js';
import { decodeChallenge, encodeAuthenticate, encodeNegotiate, MIC_OFFSET, type ChallengeMessage } from './messages.js';
import { NtlmSessionSecurity } from './session-security.js';

export interface NtlmInitiatorOptions {
  readonly credentials: NtlmCredentials;
  /** SPN of the target (`HTTP/host`), sent as MsvAvTargetName. */
  readonly targetName?: string | undefined;
  /** NetBIOS name of this machine for the Workstation field (default: empty). */
  readonly workstation?: string | undefined;
  /**
   * Require 128-bit sign + seal with key exchange (default true). WinRM over
   * http needs sealing; Windows clients require 128-bit keys by default.
   */
  readonly requireSealing?: boolean;
  /** Test hooks: NONCE(n) and the current time in ms. */
  readonly random?: (n: number) => Uint8Array;
  readonly now?: () => number;
}

type State = 'initial' | 'negotiate-sent' | 'complete';

export class NtlmInitiator {
  readonly #o: NtlmInitiatorOptions;
  readonly #cred: ResolvedCredentials;
  #state: State = 'initial';
  #negotiate: Uint8Array | undefined;
  #session: NtlmSessionSecurity | undefined;
  #flags = 0;

  constructor(options: NtlmInitiatorOptions) {
    this.#o = options;
    this.#cred = resolveCredentials(options.credentials);
  }

  /** `DOMAIN\user` or the UPN, for messages (never the password or hash). */
  get principal(): string {
    return this.#cred.domain ? `${this.#cred.domain}\\${this.#cred.user}` : this.#cred.user;
  }
  get complete(): boolean {
    return this.#state === 'complete';
  }
  get negotiatedFlags(): number {
    return this.#flags;
  }
  /** The session security of a complete context. */
  get session(): NtlmSessionSecurity {
    if (!this.#session) throw new UsageError('the NTLM context is not complete');
    return this.#session;
  }

  /** The NEGOTIATE_MESSAGE, first leg. */
  negotiate(): Uint8Array {
    if (this.#state !== 'initial') throw new UsageError(`NTLM negotiate() called in state ${this.#state}`);
    this.#negotiate = encodeNegotiate(CLIENT_FLAGS);
    this.#state = 'negotiate-sent';
    return this.#negotiate;
  }

  /**
   * Reads the CHALLENGE_MESSAGE and returns the AUTHENTICATE_MESSAGE.
   * `channelBindings` is the unhashed gss_channel_bindings_struct (see
   * channel-bindings.ts), or undefined when there is no TLS channel.
   */
  authenticate(challengeToken: Uint8Array, channelBindings?: Uint8Array): Uint8Array {
    if (this.#state !== 'negotiate-sent') throw new UsageError(`NTLM authenticate() called in state ${this.#state}`);
    const challenge = decodeChallenge(challengeToken);
    const flags = this.#negotiateFlags(challenge);
    const random = this.#o.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const clientChallenge = random(8);
    const time = challenge.timestamp !== undefined ? u64(challenge.timestamp) : fileTimeNow(this.#o.now?.());
    const withMic = challenge.timestamp !== undefined;

    const pairs: AvPair[] = [];
    let avFlags = 0;
    for (const p of challenge.targetInfo) {
      if (p.id === MsvAvFlags) avFlags = avU32(p.value);
      else if (p.id !== MsvAvChannelBindings && p.id !== MsvAvTargetName) pairs.push(p);
    }
    if (withMic) avFlags |= AV_FLAG_MIC_PRESENT;
    if (avFlags !== 0 || findAvPair(challenge.targetInfo, MsvAvFlags)) pairs.push({ id: MsvAvFlags, value: u32Bytes(avFlags) });
    pairs.push({ id: MsvAvChannelBindings, value: channelBindings ? md5(channelBindings) : new Uint8Array(16) });
    pairs.push({ id: MsvAvTargetName, value: avString(this.#o.targetName ?? '') });

    const responseKey = ntowfv2(this.#cred.ntHash, this.#cred.user, this.#cred.domain);
    const temp = ntlmv2ClientChallenge(time, clientChallenge, encodeAvPairs(pairs));
    const r = computeNtlmv2Response(responseKey, challenge.serverChallenge, clientChallenge, temp);
    // With a server timestamp the LMv2 response is replaced by Z(24) (3.1.5.1.2).
    const lm = withMic ? new Uint8Array(24) : r.lmChallengeResponse;
    const keyExchangeKey = r.sessionBaseKey; // NTLMv2: KXKEY is the session base key
    let exportedSessionKey = keyExchangeKey;
    let encryptedKey: Uint8Array = new Uint8Array(0);
    if (usesKeyExchange(flags)) {
      exportedSessionKey = random(16);
      encryptedKey = encryptSessionKey(keyExchangeKey, exportedSessionKey);
    }
    const message = encodeAuthenticate({
      flags,
      lmChallengeResponse: lm,
      ntChallengeResponse: r.ntChallengeResponse,
      domain: this.#cred.domain,
      user: this.#cred.user,
      workstation: this.#o.workstation ?? '',
      encryptedRandomSessionKey: encryptedKey,
      withMic,
    });
    if (withMic) message.set(hmacMd5(exportedSessionKey, this.#negotiate!, challengeToken, message), MIC_OFFSET);
    this.#flags = flags;
    this.#session = new NtlmSessionSecurity(flags, exportedSessionKey, 'initiator');
    this.#state = 'complete';
    return message;
  }

  #negotiateFlags(c: ChallengeMessage): number {
    let flags = (c.flags & CLIENT_FLAGS) >>> 0;
    if (!hasFlag(c.flags, NTLMSSP_NEGOTIATE_UNICODE)) {
      if (!hasFlag(c.flags, NTLM_NEGOTIATE_OEM)) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'the NTLM CHALLENGE selects neither Unicode nor OEM strings');
      flags |= NTLM_NEGOTIATE_OEM;
    }
    if (!hasFlag(c.flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
      throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `the server did not agree to NTLM extended session security (flags ${flagNames(c.flags).join('|')})`);
    }
    if (this.#o.requireSealing !== false) {
      const need = [NTLMSSP_NEGOTIATE_SIGN, NTLMSSP_NEGOTIATE_SEAL, NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_KEY_EXCH];
      const missing = need.filter((b) => !hasFlag(c.flags, b));
      if (missing.length) {
        throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `the server did not agree to NTLM ${flagNames(missing.reduce((a, b) => a | b, 0)).join(', ')}, which message encryption needs`);
      }
      // 3.1.5.1.2: without both NetBIOS names in TargetInfo, integrity or confidentiality means STATUS_LOGON_FAILURE.
      if (!findAvPair(c.targetInfo, MsvAvNbComputerName) || !findAvPair(c.targetInfo, MsvAvNbDomainName)) {
        throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'the NTLM CHALLENGE TargetInfo lacks MsvAvNbComputerName or MsvAvNbDomainName');
      }
    }
    return flags;
  }
}

function u64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

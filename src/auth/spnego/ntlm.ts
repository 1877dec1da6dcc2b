// NTLM inside SPNEGO (RFC 4178, MS-SPNG), both sides, sans-I/O. The initiator
// offers NTLM only (Kerberos has its own in kerberos.ts), so its mechTypes list is
// [NTLM] and the NTLM NEGOTIATE rides as the optimistic mechToken. After the
// AUTHENTICATE both sides exchange a mechListMIC over the DER of the mechTypes
// list as the initiator sent it, signed with NTLM's GSS_GetMICEx: sequence
// number 0 of each direction, with the RC4 handle put back afterwards
// (MS-SPNG 3.3.5.1 / 3.2.5.1), so the first sealed message is sequence 1 on
// the same keystream position as the mechListMIC. See spec-notes/ms-spng-ms-cssp.md.

import { UsageError } from '../../errors.js';
import { AuthFailedError, AuthIntegrityError, AuthProtocolError } from '../errors.js';
import type { NtlmAcceptor, NtlmAcceptResult } from '../ntlm/acceptor.js';
import type { NtlmInitiator } from '../ntlm/initiator.js';
import type { DerLimits } from './der.js';
import { SpnegoInitiator } from './initiator.js';
import { decodeNegotiationToken, encodeMechTypes, encodeNegTokenResp, innerTokenKind, OID_NTLM } from './tokens.js';

const WHERE = 'SPNEGO';

/** mechTypes [NTLM], with the NEGOTIATE as the optimistic token. */
export class SpnegoNtlmInitiator extends SpnegoInitiator<'auth-sent'> {
  readonly ntlm: NtlmInitiator;
  protected readonly offered = [OID_NTLM];
  readonly #mechTypes = encodeMechTypes([OID_NTLM]);

  constructor(ntlm: NtlmInitiator, limits?: DerLimits) {
    super(limits);
    this.ntlm = ntlm;
  }

  protected optimisticToken(): Uint8Array {
    return this.ntlm.negotiate();
  }

  /** Reads the acceptor's NegTokenResp (CHALLENGE) and returns ours (AUTHENTICATE + mechListMIC). */
  step(token: Uint8Array, channelBindings?: Uint8Array): Uint8Array {
    this.expect('step', 'sent');
    const t = this.response(token, 'carrying the NTLM CHALLENGE');
    if (t.negState === 'reject') throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'the server rejected the SPNEGO negotiation (negState reject): it does not accept NTLM');
    if (t.negState !== 'accept-incomplete' && t.negState !== 'request-mic') throw new AuthProtocolError(`the first NegTokenResp has negState ${t.negState ?? '(none)'}, expected accept-incomplete`, WHERE);
    if (t.supportedMech !== OID_NTLM) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `the server chose mechanism ${t.supportedMech ?? '(none)'}, but only NTLM (${OID_NTLM}) was offered`);
    if (!t.responseToken || innerTokenKind(t.responseToken) !== 'ntlm-challenge') throw new AuthProtocolError('the NegTokenResp carries no NTLM CHALLENGE', WHERE);
    const authenticate = this.ntlm.authenticate(t.responseToken, channelBindings);
    const mechListMIC = this.ntlm.session.signMechListMic(this.#mechTypes);
    this.state = 'auth-sent';
    return encodeNegTokenResp({ responseToken: authenticate, mechListMIC });
  }

  /** The acceptor's last NegTokenResp (on the 200): accept-completed with a mechListMIC that verifies. */
  finish(token: Uint8Array | undefined): void {
    this.expect('finish', 'auth-sent');
    if (!token) throw new AuthIntegrityError('the server completed SPNEGO without its final NegTokenResp (no mechListMIC to verify)');
    const t = this.response(token, 'completing the context');
    if (t.negState !== 'accept-completed') throw new AuthProtocolError(`the final NegTokenResp has negState ${t.negState ?? '(none)'}, expected accept-completed`, WHERE);
    if (t.responseToken) throw new AuthProtocolError('the final NegTokenResp carries a responseToken, which NTLM does not have', WHERE);
    if (!t.mechListMIC) throw new AuthIntegrityError('the server did not answer the mechListMIC (the mechanism list could have been altered)');
    this.ntlm.session.verifyMechListMic(this.#mechTypes, t.mechListMIC);
    this.state = 'complete';
  }
}

export interface SpnegoAcceptStep {
  /** The NegTokenResp to send back. */
  readonly token: Uint8Array;
  /** Set when the context is complete. */
  readonly result?: NtlmAcceptResult;
}

export class SpnegoNtlmAcceptor {
  readonly ntlm: NtlmAcceptor;
  readonly #limits: DerLimits | undefined;
  #state: 'initial' | 'want-negotiate' | 'want-authenticate' | 'complete' | 'failed' = 'initial';
  #mechTypes: Uint8Array | undefined;
  /** NTLM was not the initiator's first choice: the mechListMIC is then mandatory (RFC 4178 5). */
  #micRequired = false;

  constructor(ntlm: NtlmAcceptor, limits?: DerLimits) {
    this.ntlm = ntlm;
    this.#limits = limits;
  }

  get state(): string {
    return this.#state;
  }

  /**
   * One leg. Throws AuthProtocolError (malformed), AuthFailedError (no NTLM
   * offered, credentials refused) or AuthIntegrityError (MIC, mechListMIC);
   * the acceptor is then unusable.
   */
  step(token: Uint8Array): SpnegoAcceptStep {
    const state = this.#state;
    this.#state = 'failed';
    const t = decodeNegotiationToken(token, this.#limits);
    if (state === 'initial') {
      if (t.kind !== 'init') throw new AuthProtocolError('the first SPNEGO token is a NegTokenResp, expected a NegTokenInit', WHERE);
      if (!t.mechTypes.includes(OID_NTLM)) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `SPNEGO offers ${t.mechTypes.join(', ')}; this server accepts NTLM only`);
      this.#mechTypes = t.mechTypesDer;
      if (t.mechTypes[0] !== OID_NTLM || !t.mechToken) {
        // The optimistic token (if any) is for a mechanism we do not have: pick NTLM and ask for its first token.
        this.#micRequired = t.mechTypes[0] !== OID_NTLM;
        this.#state = 'want-negotiate';
        return { token: encodeNegTokenResp({ negState: this.#micRequired ? 'request-mic' : 'accept-incomplete', supportedMech: OID_NTLM }) };
      }
      return this.#challenge(t.mechToken, true);
    }
    if (t.kind !== 'resp') throw new AuthProtocolError('a NegTokenInit in the middle of a SPNEGO exchange', WHERE);
    if (state === 'want-negotiate') {
      if (!t.responseToken) throw new AuthProtocolError('the NegTokenResp carries no NTLM NEGOTIATE', WHERE);
      return this.#challenge(t.responseToken, false);
    }
    if (state !== 'want-authenticate') throw new UsageError(`SPNEGO step() called in state ${state}`);
    if (!t.responseToken || innerTokenKind(t.responseToken) !== 'ntlm-authenticate') throw new AuthProtocolError('the NegTokenResp carries no NTLM AUTHENTICATE', WHERE);
    const result = this.ntlm.accept(t.responseToken);
    if (t.mechListMIC) {
      if (!result.session) throw new AuthProtocolError('a mechListMIC without NTLM extended session security', WHERE);
      result.session.verifyMechListMic(this.#mechTypes!, t.mechListMIC);
    } else if (result.mic || this.#micRequired) {
      // MS-SPNG <8>: with a MIC in the AUTHENTICATE the mechListMIC is mandatory.
      throw new AuthIntegrityError('the SPNEGO mechListMIC is missing although the NTLM AUTHENTICATE has a MIC');
    }
    const mechListMIC = t.mechListMIC ? result.session!.signMechListMic(this.#mechTypes!) : undefined;
    this.#state = 'complete';
    return { token: encodeNegTokenResp({ negState: 'accept-completed', ...(mechListMIC ? { mechListMIC } : {}) }), result };
  }

  #challenge(negotiate: Uint8Array, first: boolean): SpnegoAcceptStep {
    if (innerTokenKind(negotiate) !== 'ntlm-negotiate') throw new AuthProtocolError('the SPNEGO mechToken is not an NTLM NEGOTIATE', WHERE);
    const challenge = this.ntlm.challenge(negotiate);
    this.#state = 'want-authenticate';
    return { token: encodeNegTokenResp({ negState: 'accept-incomplete', ...(first ? { supportedMech: OID_NTLM } : {}), responseToken: challenge }) };
  }
}

// What the SPNEGO initiators of NTLM and Kerberos share: the first token
// (NegTokenInit with the mechanism's optimistic token), the guard that
// names the call and the state it came in, and the reading of a
// NegTokenResp. The mechanism-specific legs stay in ntlm.ts and kerberos.ts.

import { UsageError } from '../../errors.js';
import { AuthProtocolError } from '../errors.js';
import type { DerLimits } from './der.js';
import { decodeNegotiationToken, encodeNegTokenInit, type NegTokenResp } from './tokens.js';

export abstract class SpnegoInitiator<State extends string> {
  protected state: State | 'initial' | 'sent' | 'complete' = 'initial';
  readonly #limits: DerLimits | undefined;

  constructor(limits: DerLimits | undefined) {
    this.#limits = limits;
  }

  get complete(): boolean {
    return this.state === 'complete';
  }

  /** The mechanisms offered, in order. */
  protected abstract readonly offered: readonly string[];
  /** The mechanism's first token (NTLM NEGOTIATE, Kerberos AP-REQ), sent optimistically. */
  protected abstract optimisticToken(): Uint8Array;

  /** The InitialContextToken: NegTokenInit with the mechanisms offered and the optimistic token. */
  initial(): Uint8Array {
    this.expect('initial', 'initial');
    this.state = 'sent';
    return encodeNegTokenInit({ mechTypes: this.offered, mechToken: this.optimisticToken() });
  }

  protected expect(call: string, state: State | 'initial' | 'sent' | 'complete'): void {
    if (this.state !== state) throw new UsageError(`SPNEGO ${call}() called in state ${this.state}`);
  }

  /** The acceptor's NegTokenResp (`what`: which leg, for the error). */
  protected response(token: Uint8Array, what: string): NegTokenResp {
    const t = decodeNegotiationToken(token, this.#limits);
    if (t.kind !== 'resp') throw new AuthProtocolError(`expected a NegTokenResp ${what}, got a NegTokenInit`, 'SPNEGO');
    return t;
  }
}

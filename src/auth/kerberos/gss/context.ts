// An established Kerberos GSS-API security context (RFC 4121): the key the
// per-message tokens use, each direction's sequence number, and replay and
// sequence detection on what is received. The token format follows the key's
// enctype: RFC 4121 CFX tokens for AES, RFC 4757 tokens for rc4-hmac.
//
// The WinRM form of a wrap (what `MessageSealer` gives auth/winrm-encryption.ts)
// is the gss_wrap_iov layout with HEADER, DATA and PADDING buffers, MIT's:
// the header is the "signature", the data is encrypted in place (plus one
// padding byte for RC4). See spec-notes/kerberos-wrap.md.

import { concatBytes } from '../../../util/bytes.js';
import { AuthIntegrityError } from '../../errors.js';
import type { MessageSealer } from '../../winrm-encryption.js';
import type { KerberosKey } from '../crypto/index.js';
import { CFX_WINRM_HEADER, getMicCfx, unwrapCfx, verifyMicCfx, wrapCfx } from './cfx.js';
import { getMicRc4, unwrapRc4, verifyMicRc4, wrapRc4, wrapRc4Parts } from './rc4.js';

/** How far back out-of-order tokens are still accepted (MIT's is 64 too). */
const WINDOW = 64n;

/** Receive-side sequence checking: duplicates are replays, older than the window are refused. */
class ReplayWindow {
  #next: bigint;
  #seen = new Set<bigint>();
  constructor(first: bigint) {
    this.#next = first;
  }
  check(seq: bigint, what: string): void {
    if (seq + WINDOW < this.#next) throw new AuthIntegrityError(`${what} has sequence number ${seq}, older than the replay window (expected ${this.#next})`);
    if (seq < this.#next ? this.#seen.has(seq) : false) throw new AuthIntegrityError(`${what} repeats sequence number ${seq} (a replay)`);
    if (seq >= this.#next) {
      for (let s = this.#next; s < seq && s < this.#next + WINDOW; s++) this.#seen.delete(s);
      this.#next = seq + 1n;
    }
    this.#seen.add(seq);
    for (const s of this.#seen) if (s + WINDOW < this.#next) this.#seen.delete(s);
  }
}

export interface SecurityContextOptions {
  /** The key of the per-message tokens: acceptor subkey, else initiator subkey, else the session key. */
  readonly key: KerberosKey;
  readonly initiator: boolean;
  /** The AP-REP carried the key (AcceptorSubkey flag of CFX tokens). */
  readonly acceptorSubkey: boolean;
  readonly sendSeq: number;
  readonly recvSeq: number;
}

export class KerberosSecurityContext implements MessageSealer {
  readonly key: KerberosKey;
  readonly initiator: boolean;
  readonly acceptorSubkey: boolean;
  #send: bigint;
  readonly #recv: ReplayWindow;

  constructor(o: SecurityContextOptions) {
    this.key = o.key;
    this.initiator = o.initiator;
    this.acceptorSubkey = o.acceptorSubkey;
    this.#send = BigInt(o.sendSeq >>> 0);
    this.#recv = new ReplayWindow(BigInt(o.recvSeq >>> 0));
  }

  /** RC4 pads one byte (RFC 4757 7.3), which the WinRM Length counts. */
  get maxPadding(): number {
    return this.rc4 ? 1 : 0;
  }

  get rc4(): boolean {
    return this.key.enctype === 23;
  }

  #nextSeq(): bigint {
    const s = this.#send;
    this.#send = this.rc4 ? (s + 1n) & 0xffffffffn : s + 1n;
    return s;
  }

  #mine() {
    return { fromAcceptor: !this.initiator, acceptorSubkey: this.acceptorSubkey };
  }
  #peer() {
    return { fromAcceptor: this.initiator, acceptorSubkey: this.acceptorSubkey };
  }

  /** GSS_Wrap with confidentiality: one token. */
  wrapToken(data: Uint8Array): Uint8Array {
    const seq = this.#nextSeq();
    return this.rc4 ? wrapRc4(this.key, !this.initiator, Number(seq), data) : wrapCfx(this.key, this.#mine(), seq, data);
  }

  /** GSS_Unwrap of a peer's sealed token. */
  unwrapToken(token: Uint8Array): Uint8Array {
    if (this.rc4) {
      const { data, seq } = unwrapRc4(this.key, this.initiator, token);
      this.#recv.check(BigInt(seq), 'the wrap token');
      return data;
    }
    const { data, seq } = unwrapCfx(this.key, this.#peer(), token);
    this.#recv.check(seq, 'the wrap token');
    return data;
  }

  getMic(message: Uint8Array): Uint8Array {
    const seq = this.#nextSeq();
    return this.rc4 ? getMicRc4(this.key, !this.initiator, Number(seq), message) : getMicCfx(this.key, this.#mine(), seq, message);
  }

  /** Verifies the peer's MIC; `sequence: false` for MICs outside the message stream (the SPNEGO mechListMIC is in it). */
  verifyMic(message: Uint8Array, token: Uint8Array): void {
    const seq = this.rc4 ? BigInt(verifyMicRc4(this.key, this.initiator, message, token)) : verifyMicCfx(this.key, this.#peer(), message, token);
    this.#recv.check(seq, 'the MIC token');
  }

  /** MessageSealer: the gss_wrap_iov(HEADER, DATA, PADDING) form. */
  wrap(message: Uint8Array): { signature: Uint8Array; sealed: Uint8Array } {
    const seq = this.#nextSeq();
    if (this.rc4) {
      const { header, sealed } = wrapRc4Parts(this.key, !this.initiator, Number(seq), message);
      return { signature: header, sealed };
    }
    const token = wrapCfx(this.key, this.#mine(), seq, message);
    return { signature: token.subarray(0, CFX_WINRM_HEADER), sealed: token.subarray(CFX_WINRM_HEADER) };
  }

  unwrap(sealed: Uint8Array, signature: Uint8Array): Uint8Array {
    return this.unwrapToken(concatBytes([signature, sealed]));
  }
}

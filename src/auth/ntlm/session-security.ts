// NTLM session security with extended session security (MS-NLMP 3.4): one
// signing key, one sealing key, one RC4 handle and one sequence number per
// direction. GSS_WrapEx seals the message and then signs it, and the RC4
// handle that sealed the data also encrypts the signature checksum (when key
// exchange was negotiated), so both ends must process every message in order:
// the state lives as long as the TCP connection the context authenticated.

import { concatBytes } from '../../util/bytes.js';
import { AuthIntegrityError } from '../errors.js';
import { constantTimeEqual, hmacMd5, sealKey, signKey, type Mode } from './crypto.js';
import { hasFlag, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, NTLMSSP_NEGOTIATE_KEY_EXCH, NTLMSSP_NEGOTIATE_SEAL, NTLMSSP_NEGOTIATE_SIGN } from './flags.js';
import { Rc4 } from './rc4.js';

export const SIGNATURE_LENGTH = 16;

interface Direction {
  readonly signKey: Uint8Array;
  readonly handle: Rc4;
  seq: number;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

export interface WrappedMessage {
  readonly signature: Uint8Array;
  readonly sealed: Uint8Array;
}

export class NtlmSessionSecurity {
  readonly flags: number;
  readonly #out: Direction;
  readonly #in: Direction;
  readonly #keyExch: boolean;
  /** Set by the first integrity failure: the RC4 streams are out of step for good. */
  #broken = false;

  /**
   * `role` is the side this object works for: an initiator sends with the
   * client-to-server keys and receives with the server-to-client ones.
   */
  constructor(flags: number, exportedSessionKey: Uint8Array, role: 'initiator' | 'acceptor') {
    if (!hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
      // Without ESS the signature is a CRC32 scheme from NTLM v1; Windows always negotiates ESS.
      throw new AuthIntegrityError('NTLM session security needs extended session security, which was not negotiated');
    }
    this.flags = flags;
    this.#keyExch = hasFlag(flags, NTLMSSP_NEGOTIATE_KEY_EXCH);
    const dir = (mode: Mode): Direction => ({
      signKey: signKey(flags, exportedSessionKey, mode)!,
      handle: new Rc4(sealKey(flags, exportedSessionKey, mode)),
      seq: 0,
    });
    const client = dir('Client');
    const server = dir('Server');
    this.#out = role === 'initiator' ? client : server;
    this.#in = role === 'initiator' ? server : client;
  }

  get canSeal(): boolean {
    return hasFlag(this.flags, NTLMSSP_NEGOTIATE_SEAL);
  }
  get canSign(): boolean {
    return hasFlag(this.flags, NTLMSSP_NEGOTIATE_SIGN);
  }
  /** Sequence numbers of the next message out and expected in. */
  get sequence(): { readonly out: number; readonly in: number } {
    return { out: this.#out.seq, in: this.#in.seq };
  }

  #check(): void {
    if (this.#broken) throw new AuthIntegrityError('the NTLM security context failed an integrity check earlier and cannot be used');
  }

  #fail(message: string): never {
    this.#broken = true;
    throw new AuthIntegrityError(message);
  }

  #mac(d: Direction, seq: number, message: Uint8Array): Uint8Array {
    const seqBytes = u32(seq);
    let checksum = hmacMd5(d.signKey, seqBytes, message).subarray(0, 8);
    if (this.#keyExch) checksum = d.handle.update(checksum);
    return concatBytes([u32(1), checksum, seqBytes]);
  }

  /** GSS_WrapEx: seal `message` and sign it (3.4.6). */
  wrap(message: Uint8Array): WrappedMessage {
    if (!this.canSeal) throw new AuthIntegrityError('sealing was not negotiated with the peer');
    this.#check();
    const d = this.#out;
    const sealed = d.handle.update(message);
    const signature = this.#mac(d, d.seq, message);
    d.seq = (d.seq + 1) >>> 0;
    return { signature, sealed };
  }

  /** GSS_UnwrapEx: unseal and verify (3.4.7). A wrong signature throws AuthIntegrityError. */
  unwrap(sealed: Uint8Array, signature: Uint8Array): Uint8Array {
    if (!this.canSeal) throw new AuthIntegrityError('sealing was not negotiated with the peer');
    this.#check();
    const d = this.#in;
    if (signature.byteLength !== SIGNATURE_LENGTH) this.#fail(`NTLM signature is ${signature.byteLength} bytes, expected ${SIGNATURE_LENGTH}`);
    const message = d.handle.update(sealed);
    const expected = this.#mac(d, d.seq, message);
    if (!constantTimeEqual(expected, signature)) {
      this.#fail(`the NTLM signature of sealed message ${d.seq} does not verify (tampered with, or out of sequence)`);
    }
    d.seq = (d.seq + 1) >>> 0;
    return message;
  }

  /** GSS_GetMICEx: sign without sealing (3.4.8). */
  sign(message: Uint8Array): Uint8Array {
    this.#check();
    const d = this.#out;
    const signature = this.#mac(d, d.seq, message);
    d.seq = (d.seq + 1) >>> 0;
    return signature;
  }

  /** GSS_VerifyMICEx (3.4.9). */
  verify(message: Uint8Array, signature: Uint8Array): void {
    this.#check();
    const d = this.#in;
    if (signature.byteLength !== SIGNATURE_LENGTH) this.#fail(`NTLM signature is ${signature.byteLength} bytes, expected ${SIGNATURE_LENGTH}`);
    const expected = this.#mac(d, d.seq, message);
    if (!constantTimeEqual(expected, signature)) this.#fail(`the NTLM signature of message ${d.seq} does not verify`);
    d.seq = (d.seq + 1) >>> 0;
  }

  /**
   * The SPNEGO mechListMIC (MS-SPNG 3.3.5.1 client, 3.2.5.1 server): a
   * GSS_GetMICEx that leaves the RC4 handle as it was before, so the first
   * message the application signs or seals uses the same keystream. The
   * sequence number is consumed (0 for the mechListMIC, 1 for the first
   * sealed message), as the spec restores only the handle.
   */
  signMechListMic(mechTypes: Uint8Array): Uint8Array {
    const saved = this.#out.handle.snapshot();
    try {
      return this.sign(mechTypes);
    } finally {
      this.#out.handle.restore(saved);
    }
  }

  /** Verifies the peer's mechListMIC, with the same handle rule. A wrong MIC throws AuthIntegrityError. */
  verifyMechListMic(mechTypes: Uint8Array, mic: Uint8Array): void {
    const saved = this.#in.handle.snapshot();
    try {
      this.verify(mechTypes, mic);
    } finally {
      this.#in.handle.restore(saved);
    }
  }
}

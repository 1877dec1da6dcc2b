// Typed errors of Kerberos (RFC 4120). Messages name the principal, realm,
// message and field; never a password, a key, a ticket's contents or
// decrypted plaintext. A decryption or checksum that does not verify is an
// AuthIntegrityError naming `what` (../errors.ts): one class per code.

import { PsRemoteError, type ErrorCode, type PsRemoteErrorOptions } from '../../errors.js';

export type KerberosErrorCode = Exclude<Extract<ErrorCode, `PSR_KRB_${string}`>, 'PSR_KRB_FILE_INVALID'>;

/** What a KRB-ERROR from the KDC said (RFC 4120 5.9.1). */
export interface KrbErrorFields {
  /** The protocol error-code (RFC 4120 7.5.9), e.g. 24 KDC_ERR_PREAUTH_FAILED. */
  readonly errorCode: number;
  readonly errorName: string;
  readonly realm?: string | undefined;
  /** The KDC's clock as it said in the KRB-ERROR (stime): how far off ours is, for clock skew. */
  readonly kdcTime?: Date | undefined;
}

/**
 * Kerberos did not produce credentials: the KDC cannot be reached
 * (PSR_KRB_KDC_UNREACHABLE), the configuration names no realm or KDC
 * (PSR_KRB_CONFIG), no password, keytab entry or cached ticket is there
 * (PSR_KRB_NO_CREDENTIALS), or the KDC refused (the other PSR_KRB_ codes).
 * When the KDC answered with a KRB-ERROR, `errorCode`, `errorName`, `realm`
 * and `kdcTime` say what it sent; they are undefined when psremote found the
 * problem itself (a reply that does not decrypt, an expired cached TGT).
 */
export class KerberosError extends PsRemoteError {
  readonly errorCode: number | undefined;
  readonly errorName: string | undefined;
  readonly realm: string | undefined;
  readonly kdcTime: Date | undefined;
  constructor(code: KerberosErrorCode, message: string, options?: PsRemoteErrorOptions & { krbError?: KrbErrorFields }) {
    super(code, message, options);
    this.errorCode = options?.krbError?.errorCode;
    this.errorName = options?.krbError?.errorName;
    this.realm = options?.krbError?.realm;
    this.kdcTime = options?.krbError?.kdcTime;
  }
}

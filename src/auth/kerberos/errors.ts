// Typed errors of Kerberos (RFC 4120). Messages name the principal, realm,
// message and field; never a password, a key, a ticket's contents or
// decrypted plaintext.

import { PsRemoteError, type ErrorCode, type PsRemoteErrorOptions } from '../../errors.js';
import { AuthIntegrityError } from '../errors.js';

/** A decryption or checksum did not verify: a wrong key (often a wrong password) or tampering. */
export class KerberosIntegrityError extends AuthIntegrityError {
  /** What was being decrypted or verified, e.g. "AS-REP enc-part". */
  readonly what: string;
  constructor(what: string, message: string) {
    super(`${what}: ${message}`);
    this.what = what;
  }
}

export type KerberosErrorCode = Extract<ErrorCode, `PSR_KRB_${string}`>;

/**
 * Kerberos did not produce credentials: the KDC cannot be reached
 * (PSR_KRB_KDC_UNREACHABLE), the configuration names no realm or KDC
 * (PSR_KRB_CONFIG), no password, keytab entry or cached ticket is there
 * (PSR_KRB_NO_CREDENTIALS); KdcError carries the codes of a KRB-ERROR.
 */
export class KerberosError extends PsRemoteError {
  constructor(code: KerberosErrorCode, message: string, options?: PsRemoteErrorOptions) {
    super(code, message, options);
  }
}

/** The KDC answered with a KRB-ERROR (RFC 4120 5.9.1). */
export class KdcError extends KerberosError {
  /** The protocol error-code (RFC 4120 7.5.9), e.g. 24 KDC_ERR_PREAUTH_FAILED. */
  readonly errorCode: number;
  readonly errorName: string;
  readonly realm: string | undefined;
  /** The KDC's clock as it said in the KRB-ERROR (stime): how far off ours is, for clock skew. */
  readonly kdcTime: Date | undefined;
  constructor(code: KerberosErrorCode, message: string, fields: { errorCode: number; errorName: string; realm?: string; kdcTime?: Date }) {
    super(code, message);
    this.errorCode = fields.errorCode;
    this.errorName = fields.errorName;
    this.realm = fields.realm;
    this.kdcTime = fields.kdcTime;
  }
}

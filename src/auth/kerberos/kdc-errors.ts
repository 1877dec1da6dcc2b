// A KRB-ERROR from the KDC as one typed error that says what to do. The
// messages name the principal and realm, never a key or password; the KDC's
// own e-text is appended because MIT and AD put the specific reason there.

import { KerberosError, type KerberosErrorCode } from './errors.js';
import * as C from './messages/constants.js';
import type { KrbError } from './messages/kdc.js';

export interface KdcErrorContext {
  /** alice@EXAMPLE.COM */
  readonly client: string;
  /** HTTP/host@EXAMPLE.COM or krbtgt/EXAMPLE.COM@EXAMPLE.COM */
  readonly server: string;
  readonly exchange: 'AS' | 'TGS';
  /** Our clock when the request was made. */
  readonly now: Date;
}

export function kdcError(e: KrbError, ctx: KdcErrorContext): KerberosError {
  const name = C.KRB_ERROR_NAMES[e.errorCode] ?? `error ${e.errorCode}`;
  const text = e.eText ? ` (KDC: ${e.eText.slice(0, 200)})` : '';
  const krbError = { errorCode: e.errorCode, errorName: name, realm: e.realm, kdcTime: e.stime };
  const make = (code: KerberosErrorCode, message: string): KerberosError => new KerberosError(code, `${message} [${name}]${text}`, { krbError });
  switch (e.errorCode) {
    case C.KDC_ERR_C_PRINCIPAL_UNKNOWN:
      return make('PSR_KRB_PRINCIPAL_UNKNOWN', `the KDC of ${e.realm} does not know the client ${ctx.client}`);
    case C.KDC_ERR_S_PRINCIPAL_UNKNOWN:
      return make('PSR_KRB_PRINCIPAL_UNKNOWN', `the KDC of ${e.realm} does not know the service ${ctx.server} (check the SPN, or the host name it was made from)`);
    case C.KDC_ERR_PREAUTH_FAILED:
    case C.KRB_AP_ERR_BAD_INTEGRITY:
      return ctx.exchange === 'AS'
        ? make('PSR_KRB_PREAUTH_FAILED', `the password or key for ${ctx.client} is wrong`)
        : make('PSR_KRB_KDC_ERROR', `the KDC of ${e.realm} could not verify the request for ${ctx.server}`);
    case C.KRB_AP_ERR_SKEW: {
      const off = Math.round((e.stime.getTime() - ctx.now.getTime()) / 1000);
      return make(
        'PSR_KRB_CLOCK_SKEW',
        `the clocks differ too much: the KDC of ${e.realm} says ${e.stime.toISOString()}, this machine ${ctx.now.toISOString()} (${off > 0 ? '+' : ''}${off} s; Kerberos allows 300 s): synchronise the clock`,
      );
    }
    case C.KDC_ERR_POLICY:
      return make('PSR_KRB_POLICY', `the KDC of ${e.realm} refuses ${ctx.exchange === 'AS' ? `to log in ${ctx.client}` : `a ticket for ${ctx.server}`} by policy`);
    case C.KDC_ERR_CLIENT_REVOKED:
      return make('PSR_KRB_POLICY', `the account ${ctx.client} is disabled or locked out`);
    case C.KDC_ERR_KEY_EXPIRED:
      return make('PSR_KRB_POLICY', `the password of ${ctx.client} has expired: change it`);
    case C.KDC_ERR_ETYPE_NOSUPP:
      return make('PSR_KRB_ETYPE_NOSUPP', `the KDC of ${e.realm} has no key for ${ctx.exchange === 'AS' ? ctx.client : ctx.server} in an enctype psremote offers (aes256, aes128, rc4-hmac)`);
    case C.KRB_AP_ERR_TKT_EXPIRED:
      return make('PSR_KRB_TICKET_EXPIRED', `the ticket-granting ticket of ${ctx.client} has expired: log in again (psremote kinit)`);
    case C.KDC_ERR_WRONG_REALM:
      return make('PSR_KRB_KDC_ERROR', `the KDC of ${e.realm} is not the KDC for ${ctx.exchange === 'AS' ? ctx.client : ctx.server} (realm names are case-sensitive)`);
    default:
      return make('PSR_KRB_KDC_ERROR', `the KDC of ${e.realm} refused the ${ctx.exchange} request for ${ctx.exchange === 'AS' ? ctx.client : ctx.server}`);
  }
}

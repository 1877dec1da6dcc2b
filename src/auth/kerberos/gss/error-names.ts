// RFC 4120 7.5.9 names of the error codes an acceptor returns in a KRB-ERROR
// token (and that psremote's acceptor reports), for messages.

const NAMES: Readonly<Record<number, string>> = {
  31: 'KRB_AP_ERR_BAD_INTEGRITY (the ticket or authenticator does not decrypt)',
  32: 'KRB_AP_ERR_TKT_EXPIRED (the ticket has expired)',
  33: 'KRB_AP_ERR_TKT_NYV (the ticket is not yet valid)',
  34: 'KRB_AP_ERR_REPEAT (a replayed authenticator)',
  35: 'KRB_AP_ERR_NOT_US (the ticket is for another service)',
  36: 'KRB_AP_ERR_BADMATCH (the ticket and authenticator are for different clients)',
  37: 'KRB_AP_ERR_SKEW (the clocks differ by more than the allowed skew)',
  39: 'KRB_AP_ERR_BADVERSION',
  40: 'KRB_AP_ERR_MSG_TYPE',
  41: 'KRB_AP_ERR_MODIFIED (the message was modified, or the service key is wrong)',
  44: 'KRB_AP_ERR_BADKEYVER (the service has no key of that version)',
  45: 'KRB_AP_ERR_NOKEY (the service has no key for the ticket)',
  47: 'KRB_AP_ERR_BADDIRECTION',
  60: 'KRB_ERR_GENERIC',
};

export function krbErrorName(code: number): string {
  return NAMES[code] ?? `Kerberos error ${code}`;
}

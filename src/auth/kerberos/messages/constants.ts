// Numbers of RFC 4120 (section 7.5) and MS-KILE that the messages and
// exchanges use, under the protocol's own names.

export const KRB5_PVNO = 5;

export const MSG_AS_REQ = 10;
export const MSG_AS_REP = 11;
export const MSG_TGS_REQ = 12;
export const MSG_TGS_REP = 13;
export const MSG_AP_REQ = 14;
export const MSG_AP_REP = 15;
export const MSG_KRB_CRED = 22;
export const MSG_KRB_ERROR = 30;

/** Name types (RFC 4120 6.2). */
export const NT_UNKNOWN = 0;
export const NT_PRINCIPAL = 1;
export const NT_SRV_INST = 2;
export const NT_SRV_HST = 3;
export const NT_ENTERPRISE = 10;

/** Pre-authentication data types (RFC 4120 7.5.2, RFC 6113, MS-KILE 2.2). */
export const PA_TGS_REQ = 1;
export const PA_ENC_TIMESTAMP = 2;
export const PA_PW_SALT = 3;
export const PA_ETYPE_INFO = 11;
export const PA_ETYPE_INFO2 = 19;
export const PA_PAC_REQUEST = 128;
export const PA_FX_FAST = 136;
export const PA_REQ_ENC_PA_REP = 149;

/** Key usages (RFC 4120 7.5.1). */
export const KU_PA_ENC_TIMESTAMP = 1;
export const KU_TICKET = 2;
export const KU_AS_REP_ENC_PART = 3;
export const KU_TGS_REQ_AUTH_CKSUM = 6;
export const KU_TGS_REQ_AUTHENTICATOR = 7;
export const KU_TGS_REP_ENC_PART_SESSION = 8;
export const KU_TGS_REP_ENC_PART_SUBKEY = 9;
export const KU_AP_REQ_AUTH_CKSUM = 10;
export const KU_AP_REQ_AUTHENTICATOR = 11;
export const KU_AP_REP_ENC_PART = 12;
export const KU_KRB_CRED_ENC_PART = 14;

/** KDCOptions (RFC 4120 5.4.1): bit i of the BIT STRING is 0x80000000 >>> i. */
export const KDC_OPT_FORWARDABLE = 0x80000000 >>> 1;
export const KDC_OPT_FORWARDED = 0x80000000 >>> 2;
export const KDC_OPT_PROXIABLE = 0x80000000 >>> 3;
export const KDC_OPT_RENEWABLE = 0x80000000 >>> 8;
export const KDC_OPT_CANONICALIZE = 0x80000000 >>> 15;
export const KDC_OPT_RENEWABLE_OK = 0x80000000 >>> 27;

/** TicketFlags (RFC 4120 5.3); MIT's ccache stores the same 32-bit number. */
export const TKT_FLG_FORWARDABLE = 0x80000000 >>> 1;
export const TKT_FLG_FORWARDED = 0x80000000 >>> 2;
export const TKT_FLG_PROXIABLE = 0x80000000 >>> 3;
export const TKT_FLG_PROXY = 0x80000000 >>> 4;
export const TKT_FLG_RENEWABLE = 0x80000000 >>> 8;
export const TKT_FLG_INITIAL = 0x80000000 >>> 9;
export const TKT_FLG_PRE_AUTHENT = 0x80000000 >>> 10;
export const TKT_FLG_OK_AS_DELEGATE = 0x80000000 >>> 13;
export const TKT_FLG_ENC_PA_REP = 0x80000000 >>> 15;

const TICKET_FLAG_NAMES = ['reserved', 'forwardable', 'forwarded', 'proxiable', 'proxy', 'may-postdate', 'postdated', 'invalid', 'renewable', 'initial', 'pre-authent', 'hw-authent', 'transited-policy-checked', 'ok-as-delegate', 'anonymous', 'enc-pa-rep'];

export function ticketFlagNames(flags: number): string[] {
  return TICKET_FLAG_NAMES.filter((_, i) => i > 0 && (flags & (0x80000000 >>> i)) !== 0);
}

/** Error codes (RFC 4120 7.5.9) psremote gives a meaning to, by name. */
export const KRB_ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'KDC_ERR_NONE',
  1: 'KDC_ERR_NAME_EXP',
  2: 'KDC_ERR_SERVICE_EXP',
  3: 'KDC_ERR_BAD_PVNO',
  6: 'KDC_ERR_C_PRINCIPAL_UNKNOWN',
  7: 'KDC_ERR_S_PRINCIPAL_UNKNOWN',
  8: 'KDC_ERR_PRINCIPAL_NOT_UNIQUE',
  9: 'KDC_ERR_NULL_KEY',
  10: 'KDC_ERR_CANNOT_POSTDATE',
  11: 'KDC_ERR_NEVER_VALID',
  12: 'KDC_ERR_POLICY',
  13: 'KDC_ERR_BADOPTION',
  14: 'KDC_ERR_ETYPE_NOSUPP',
  15: 'KDC_ERR_SUMTYPE_NOSUPP',
  16: 'KDC_ERR_PADATA_TYPE_NOSUPP',
  18: 'KDC_ERR_CLIENT_REVOKED',
  19: 'KDC_ERR_SERVICE_REVOKED',
  20: 'KDC_ERR_TGT_REVOKED',
  21: 'KDC_ERR_CLIENT_NOTYET',
  22: 'KDC_ERR_SERVICE_NOTYET',
  23: 'KDC_ERR_KEY_EXPIRED',
  24: 'KDC_ERR_PREAUTH_FAILED',
  25: 'KDC_ERR_PREAUTH_REQUIRED',
  26: 'KDC_ERR_SERVER_NOMATCH',
  29: 'KDC_ERR_SVC_UNAVAILABLE',
  31: 'KRB_AP_ERR_BAD_INTEGRITY',
  32: 'KRB_AP_ERR_TKT_EXPIRED',
  33: 'KRB_AP_ERR_TKT_NYV',
  34: 'KRB_AP_ERR_REPEAT',
  35: 'KRB_AP_ERR_NOT_US',
  36: 'KRB_AP_ERR_BADMATCH',
  37: 'KRB_AP_ERR_SKEW',
  38: 'KRB_AP_ERR_BADADDR',
  39: 'KRB_AP_ERR_BADVERSION',
  40: 'KRB_AP_ERR_MSG_TYPE',
  41: 'KRB_AP_ERR_MODIFIED',
  44: 'KRB_AP_ERR_BADKEYVER',
  45: 'KRB_AP_ERR_NOKEY',
  47: 'KRB_AP_ERR_BADDIRECTION',
  52: 'KRB_ERR_RESPONSE_TOO_BIG',
  60: 'KRB_ERR_GENERIC',
  68: 'KDC_ERR_WRONG_REALM',
};

export const KDC_ERR_C_PRINCIPAL_UNKNOWN = 6;
export const KDC_ERR_S_PRINCIPAL_UNKNOWN = 7;
export const KDC_ERR_POLICY = 12;
export const KDC_ERR_ETYPE_NOSUPP = 14;
export const KDC_ERR_CLIENT_REVOKED = 18;
export const KDC_ERR_KEY_EXPIRED = 23;
export const KDC_ERR_PREAUTH_FAILED = 24;
export const KDC_ERR_PREAUTH_REQUIRED = 25;
export const KRB_AP_ERR_BAD_INTEGRITY = 31;
export const KRB_AP_ERR_TKT_EXPIRED = 32;
export const KRB_AP_ERR_SKEW = 37;
export const KRB_ERR_RESPONSE_TOO_BIG = 52;
export const KRB_ERR_GENERIC = 60;
export const KDC_ERR_WRONG_REALM = 68;

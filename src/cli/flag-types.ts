// The parsed connection flags (connection-flags.ts adds them to a command).
// In a file of their own so that kerberos-flags.ts, which connection-flags.ts
// uses, can name them without importing it back.

export interface ConnectionFlags {
  user?: string;
  passwordEnv?: string;
  ntHashEnv?: string;
  auth?: string;
  messageEncryption?: string;
  spnego?: boolean;
  ssl?: boolean;
  insecureAllowUnencrypted?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  insecureSkipVerify?: boolean;
  proxy?: string;
  noProxy?: boolean;
  keytab?: string;
  ccache?: string;
  kdc?: string;
  krb5Config?: string;
  spn?: string;
  spnService?: string;
  delegate?: boolean;
  debug?: boolean;
  operationTimeout?: string;
  userAgent?: string;
  record?: string;
  scrubHosts?: boolean;
  /** From a named host in the config file (config.ts): the command that gives the password, and for which target. */
  credentialHelper?: string;
  credentialTarget?: string;
}

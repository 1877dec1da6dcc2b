// Connection flags shared by `exec`, `identify` and `wmi`: endpoint scheme,
// credentials (password from an environment variable or a prompt, never from
// the command line), TLS material and the proxy.

import { FILE_LIMITS, readBoundedFile } from './bounded-file.js';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { basicAuth, certificateAuth, noAuth, type HttpAuth } from '../transport/http/auth.js';
import type { SpnService } from '../transport/http/kerberos-auth.js';
import type { ConnectionOptions } from '../winrm/target.js';
import type { CliIO } from './io.js';
import type { ConnectionFlags } from './flag-types.js';
import { promptPassword } from './password-prompt.js';
import { runCredentialHelper } from './credential-helper.js';

export { promptPassword } from './password-prompt.js';

export type { ConnectionFlags } from './flag-types.js';

export function addConnectionFlags(cmd: Command): Command {
  return cmd
    .option('-u, --user <name>', 'user name (DOMAIN\\user or user@domain)')
    .option('--password-env <var>', 'environment variable holding the password (otherwise you are prompted)')
    .option('--auth <scheme>', 'basic, ntlm, negotiate (Kerberos when possible, else NTLM), kerberos, credssp (delegates the password) or certificate (default: basic with --user, certificate with --cert, else none)')
    .option('--keytab <file>', 'Kerberos: log in with this keytab (default KRB5_CLIENT_KTNAME)')
    .option('--ccache <file>', 'Kerberos: the credential cache with your TGT (default KRB5CCNAME, /tmp/krb5cc_<uid>)')
    .option('--kdc <host:port>', 'Kerberos: the KDC (default from krb5.conf, then DNS SRV)')
    .option('--krb5-config <file>', 'Kerberos: krb5.conf to read (default KRB5_CONFIG, /etc/krb5.conf)')
    .option('--spn <spn>', 'Kerberos: the service principal, whole (default HTTP/<host>)')
    .option('--spn-service <name>', 'Kerberos: the service class of the SPN: HTTP (default), WSMAN or host')
    .option('--delegate', 'Kerberos: forward your TGT to the server (the second hop)')
    .option('--debug', 'say on stderr which authentication was chosen and why')
    .option('--nt-hash-env <var>', 'NTLM: environment variable holding the NT hash, instead of a password')
    .option('--message-encryption <when>', 'NTLM: auto (seal over http, the default), always, or never')
    .option('--spnego', 'NTLM: wrap the tokens in SPNEGO as Windows\' own client does (default: raw NTLM, which Windows accepts)')
    .option('--ssl', 'use https (port 5986) for a bare host name')
    .option('--insecure-allow-unencrypted', 'allow Basic over plain http (password in clear text), or NTLM with --message-encryption never')
    .option('--ca <file>', 'CA certificate (PEM) that issued the server certificate')
    .option('--cert <file>', 'client certificate (PEM) for certificate authentication')
    .option('--key <file>', 'private key (PEM) of the client certificate')
    .option('--servername <name>', 'name to verify the server certificate against')
    .option('--insecure-skip-verify', 'do not verify the server certificate (prints a warning)')
    .option('--proxy <url>', 'HTTP CONNECT proxy (default: HTTPS_PROXY/HTTP_PROXY, NO_PROXY honoured)')
    .option('--no-proxy', 'ignore proxy environment variables')
    .option('--operation-timeout <seconds>', 'WS-Management OperationTimeout (default 20)')
    .option('--user-agent <text>', 'HTTP User-Agent (default "Microsoft WinRM Client")')
    .option('--record <file>', 'write the conversation to FILE in psremote\'s recording format (plain SOAP; credentials, cookies and tokens never recorded)')
    .option('--scrub-hosts', 'with --record: also replace host names, addresses and the user name');
}

const readPem = (path: string, what: string): Buffer => readBoundedFile(path, `${what} file`, FILE_LIMITS.key);

async function readPassword(f: ConnectionFlags, io: CliIO): Promise<string> {
  if (!f.passwordEnv && f.credentialHelper) return (await runCredentialHelper(f.credentialHelper, { target: f.credentialTarget ?? '', username: f.user })).password;
  if (!f.passwordEnv) return promptPassword(`password for ${f.user}: `, io);
  const password = process.env[f.passwordEnv];
  if (password === undefined) throw new UsageError(`environment variable ${f.passwordEnv} (from --password-env) is not set`);
  return password;
}

async function ntlmFlags(f: ConnectionFlags, io: CliIO, scheme: 'ntlm' | 'negotiate'): Promise<HttpAuth> {
  if (!f.user) throw new UsageError(`--auth ${scheme} needs --user (user, DOMAIN\\user or user@domain)`);
  const encryption = f.messageEncryption ?? 'auto';
  if (encryption !== 'auto' && encryption !== 'always' && encryption !== 'never') throw new UsageError(`invalid --message-encryption ${encryption}: use auto, always or never`);
  let secret: { password: string } | { ntHash: string };
  if (f.ntHashEnv) {
    const h = process.env[f.ntHashEnv];
    if (h === undefined) throw new UsageError(`environment variable ${f.ntHashEnv} (from --nt-hash-env) is not set`);
    secret = { ntHash: h };
  } else secret = { password: await readPassword(f, io) };
  const { ntlmAuth } = await import('../transport/http/ntlm-auth.js');
  return ntlmAuth({ username: f.user, ...secret, encryption, scheme, ...(f.spnego ? { spnego: true } : {}) });
}

export async function connectionOptions(host: string, f: ConnectionFlags, io: CliIO): Promise<ConnectionOptions> {
  const scheme = f.auth ?? (f.user ? 'basic' : f.cert ? 'certificate' : 'none');
  let auth: HttpAuth;
  // Each scheme's code is imported when it is chosen: Kerberos, NTLM and CredSSP
  // together were a third of the modules every command loaded before its first request.
  switch (scheme) {
    case 'basic': {
      if (!f.user) throw new UsageError('--auth basic needs --user');
      auth = basicAuth(f.user, await readPassword(f, io));
      break;
    }
    case 'kerberos':
      auth = await (await import('./kerberos-flags.js')).kerberosFlags(f, io, 'kerberos');
      break;
    case 'negotiate': {
      const { kerberosFlags, kerberosPossible, kerberosReason } = await import('./kerberos-flags.js');
      if (kerberosPossible(f)) {
        if (f.debug) io.stderr.write(`debug: --auth negotiate uses Kerberos (${kerberosReason(f)})\n`);
        auth = await kerberosFlags(f, io, 'negotiate');
        break;
      }
      if (f.debug) io.stderr.write('debug: --auth negotiate falls back to NTLM (no Kerberos ticket cache, keytab or realm)\n');
      auth = await ntlmFlags(f, io, 'negotiate');
      break;
    }
    case 'ntlm':
      auth = await ntlmFlags(f, io, 'ntlm');
      break;
    case 'credssp': {
      if (!f.user) throw new UsageError('--auth credssp needs --user (user, DOMAIN\\user or user@domain)');
      const encryption = f.messageEncryption ?? 'auto';
      if (encryption !== 'auto' && encryption !== 'always') throw new UsageError(`invalid --message-encryption ${encryption} with --auth credssp: use auto or always`);
      // Once per invocation: the user should know the password itself goes to the remote host.
      io.stderr.write(
        `WARNING: --auth credssp delegates your password to ${host}: that host (and anyone controlling it) can use it to act as ${f.user} on other machines\n`,
      );
      const { credsspAuth } = await import('../transport/http/credssp-auth.js');
      const { kerberosPossible, kerberosReason, kerberosTicketSource } = await import('./kerberos-flags.js');
      const password = await readPassword(f, io);
      // Inside CredSSP's SPNEGO: Kerberos when the flags give it a ticket source, as --auth negotiate decides; NTLM otherwise.
      const kerberos = kerberosPossible(f);
      if (f.debug) io.stderr.write(`debug: --auth credssp uses ${kerberos ? `Kerberos inside (${kerberosReason(f)})` : 'NTLM inside (no Kerberos ticket cache, keytab or realm)'}\n`);
      if (f.spnService && !['WSMAN', 'HTTP', 'host'].includes(f.spnService)) throw new UsageError(`invalid --spn-service ${f.spnService}: WSMAN, HTTP or host`);
      auth = credsspAuth({
        username: f.user,
        password,
        encryption,
        ...(kerberos ? { tickets: await kerberosTicketSource(f, io, 'credssp', password) } : {}),
        ...(f.spn ? { spn: f.spn } : {}),
        ...(f.spnService ? { spnService: f.spnService as SpnService } : {}),
        ...(f.debug ? { debug: (m: string) => io.stderr.write(`debug: ${m}\n`) } : {}),
      });
      break;
    }
    case 'certificate':
      auth = certificateAuth();
      break;
    case 'none':
      if (f.user) throw new UsageError('--user given with --auth none');
      auth = noAuth();
      break;
    default:
      throw new UsageError(`unknown --auth ${scheme}: use basic, ntlm, negotiate, kerberos, credssp or certificate`);
  }
  if ((f.cert && !f.key) || (f.key && !f.cert)) throw new UsageError('--cert and --key go together');
  if (f.insecureSkipVerify) io.stderr.write('WARNING: server certificate verification is off (--insecure-skip-verify); the connection can be intercepted\n');
  const tls = {
    ...(f.ca ? { ca: readPem(f.ca, 'CA') } : {}),
    ...(f.cert ? { cert: readPem(f.cert, 'certificate') } : {}),
    ...(f.key ? { key: readPem(f.key, 'key') } : {}),
    ...(f.servername ? { servername: f.servername } : {}),
    ...(f.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
  };
  if (f.scrubHosts && !f.record) throw new UsageError('--scrub-hosts goes with --record FILE');
  let operationTimeoutMs: number | undefined;
  if (f.operationTimeout !== undefined) {
    const s = Number(f.operationTimeout);
    if (!(s > 0 && s <= 3600)) throw new UsageError(`invalid --operation-timeout ${f.operationTimeout} (seconds, 1-3600)`);
    operationTimeoutMs = s * 1000;
  }
  return {
    endpoint: host,
    auth,
    ...(f.ssl ? { secure: true } : {}),
    ...(f.insecureAllowUnencrypted ? { allowUnencrypted: true } : {}),
    ...(Object.keys(tls).length ? { tls } : {}),
    // commander turns --no-proxy into proxy === false
    ...(f.proxy !== undefined ? { proxy: (f.proxy as string | boolean) === false ? false : f.proxy } : {}),
    ...(f.userAgent ? { userAgent: f.userAgent } : {}),
    ...(operationTimeoutMs !== undefined ? { operationTimeoutMs } : {}),
    ...(f.record ? { record: { path: f.record, ...(f.scrubHosts ? { scrubHosts: true, names: { users: f.user ? [f.user] : [] } } : {}) } } : {}),
  };
}

// A throw-away MIT Kerberos realm for the Kerberos suites, in the pattern of
// python-gssapi's k5test: a temporary folder with its own krb5.conf and
// kdc.conf, a database made by `kdb5_util create -s`, krb5kdc listening on
// 127.0.0.1 (tcp and udp, one free port), principals and keytabs made with
// kadmin.local, and the environment (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME) for
// child processes such as kinit, klist, curl and the python3-gssapi peer.
//
// Host names in SPNs: `localhost` resolves to 127.0.0.1 everywhere without
// touching /etc/hosts. Other names (`aes128.localhost`, …) are only names: the
// krb5.conf turns off DNS canonicalisation and reverse DNS, so MIT never looks
// them up, and [domain_realm] maps `localhost` and `.localhost` to the realm.
// One realm can so hold a service per enctype: MIT's KDC encrypts a ticket with
// the service's strongest key, and picks the session key from the service's
// `session_enctypes` string attribute (addService sets it to the service's
// enctypes: without it MIT 1.20 assumes aes256 session keys for every service),
// so a service with only rc4 keys gets RC4 sessions.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export const KRB5KDC = '/usr/sbin/krb5kdc';
export const KDB5_UTIL = '/usr/sbin/kdb5_util';
export const KADMIN_LOCAL = '/usr/sbin/kadmin.local';
/** Debian's python3, where python3-gssapi is installed (not a pyenv shim). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export type KdcEnctype = 'aes256' | 'aes128' | 'rc4';

/** MIT's names for the enctypes. */
export const MIT_ENCTYPE: Readonly<Record<KdcEnctype, string>> = {
  aes256: 'aes256-cts-hmac-sha1-96',
  aes128: 'aes128-cts-hmac-sha1-96',
  rc4: 'arcfour-hmac',
};

/** RFC 3961 enctype numbers. */
export const ENCTYPE_NUMBER: Readonly<Record<KdcEnctype, 17 | 18 | 23>> = { aes256: 18, aes128: 17, rc4: 23 };

const ALL: readonly KdcEnctype[] = ['aes256', 'aes128', 'rc4'];

export interface KdcRealm {
  readonly realm: string;
  readonly dir: string;
  /** The KDC's port on 127.0.0.1 (tcp and udp). */
  readonly port: number;
  /** A host name for SPNs that resolves to 127.0.0.1. */
  readonly host: string;
  readonly krb5Conf: string;
  /** The default ccache (FILE:) of the realm's environment. */
  readonly ccache: string;
  /** The default keytab of the realm's environment (the acceptor's). */
  readonly keytab: string;
  /** Environment for child processes: process.env plus KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, KRB5_KDC_PROFILE. */
  readonly env: NodeJS.ProcessEnv;
  /** `principal@REALM` for a name without a realm. */
  qualify(name: string): string;
  /** A user principal with a password (default enctypes: all three). */
  addUser(name: string, password: string, opts?: { enctypes?: readonly KdcEnctype[]; maxLife?: string }): Promise<string>;
  /** A service principal with random keys, exported to a keytab; returns the keytab path. */
  addService(spn: string, opts?: { enctypes?: readonly KdcEnctype[]; keytab?: string }): Promise<string>;
  /** Exports a principal's keys (without changing them) to a keytab; returns the path. */
  exportKeytab(principal: string, path?: string): Promise<string>;
  /** Runs kadmin.local with one query, e.g. `modprinc -maxlife 1s alice`. */
  kadmin(query: string): Promise<string>;
  /** MIT's kinit with a password on stdin (or -k -t keytab); returns the ccache path. */
  kinit(principal: string, secret: { password: string } | { keytab: string }, opts?: { ccache?: string; args?: readonly string[] }): Promise<string>;
  /** klist output for a ccache. */
  klist(ccache?: string, args?: readonly string[]): Promise<string>;
  /** The KDC's log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface KdcOptions {
  readonly realm?: string;
  /** Enctypes the realm supports (default all three). */
  readonly enctypes?: readonly KdcEnctype[];
}

/** Whether the MIT tools are installed; undefined when they are, else the reason. */
export function mitKerberosMissing(): string | undefined {
  for (const p of [KRB5KDC, KDB5_UTIL, KADMIN_LOCAL, '/usr/bin/kinit', '/usr/bin/klist']) {
    if (!existsSync(p)) return `${p} is missing (Debian packages krb5-kdc, krb5-admin-server, krb5-user; .ci/run installs them)`;
  }
  return undefined;
}


function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout + stderr);
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`krb5kdc exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect({ port, host: '127.0.0.1' });
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`krb5kdc did not listen on 127.0.0.1:${port}: ${log()}`);
}

function keysalts(enctypes: readonly KdcEnctype[]): string {
  return enctypes.map((e) => `${MIT_ENCTYPE[e]}:normal`).join(',');
}

export async function startKdc(opts: KdcOptions = {}): Promise<KdcRealm> {
  const missing = mitKerberosMissing();
  if (missing) throw new Error(missing);
  const realm = opts.realm ?? 'PSREMOTE.TEST';
  const enctypes = opts.enctypes ?? ALL;
  const dir = mkdtempSync(join(tmpdir(), 'psrp-kdc-'));
  const port = await freePort();
  const host = 'localhost';
  const krb5Conf = join(dir, 'krb5.conf');
  const kdcConf = join(dir, 'kdc.conf');
  const ccache = join(dir, 'ccache');
  const keytab = join(dir, 'keytab');
  const etypes = enctypes.map((e) => MIT_ENCTYPE[e]).join(' ');
  writeFileSync(
    krb5Conf,
    [
      '[libdefaults]',
      `  default_realm = ${realm}`,
      '  dns_lookup_kdc = false',
      '  dns_lookup_realm = false',
      '  dns_canonicalize_hostname = false',
      '  rdns = false',
      '  allow_weak_crypto = true',
      '  allow_rc4 = true',
      `  permitted_enctypes = ${etypes}`,
      `  default_tkt_enctypes = ${etypes}`,
      `  default_tgs_enctypes = ${etypes}`,
      '  forwardable = true',
      '  udp_preference_limit = 1',
      `  default_ccache_name = FILE:${ccache}`,
      `  default_keytab_name = FILE:${keytab}`,
      '',
      '[realms]',
      `  ${realm} = {`,
      `    kdc = 127.0.0.1:${port}`,
      '  }',
      '',
      '[domain_realm]',
      `  localhost = ${realm}`,
      `  .localhost = ${realm}`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    kdcConf,
    [
      '[kdcdefaults]',
      `  kdc_listen = 127.0.0.1:${port}`,
      `  kdc_tcp_listen = 127.0.0.1:${port}`,
      '',
      '[realms]',
      `  ${realm} = {`,
      `    database_name = ${join(dir, 'principal')}`,
      `    key_stash_file = ${join(dir, 'stash')}`,
      `    acl_file = ${join(dir, 'kadm5.acl')}`,
      `    supported_enctypes = ${keysalts(enctypes).replace(/,/g, ' ')}`,
      `    kdc_listen = 127.0.0.1:${port}`,
      `    kdc_tcp_listen = 127.0.0.1:${port}`,
      '    max_life = 10h 0m 0s',
      '    max_renewable_life = 7d 0h 0m 0s',
      '  }',
      '',
      '[logging]',
      `  kdc = FILE:${join(dir, 'kdc.log')}`,
      `  admin_server = FILE:${join(dir, 'kadmin.log')}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'kadm5.acl'), '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KRB5_CONFIG: krb5Conf,
    KRB5_KDC_PROFILE: kdcConf,
    KRB5CCNAME: `FILE:${ccache}`,
    KRB5_KTNAME: `FILE:${keytab}`,
    KRB5_CLIENT_KTNAME: `FILE:${join(dir, 'client.keytab')}`,
    KRB5_TRACE: undefined,
  };
  delete env.KRB5_TRACE;
  await run(KDB5_UTIL, ['-r', realm, 'create', '-s', '-W', '-P', 'master-password'], env);

  let log = '';
  const child = spawn(KRB5KDC, ['-n', '-r', realm, '-P', join(dir, 'krb5kdc.pid')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (d: Buffer) => (log = (log + d.toString()).slice(-8000));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  // A test process that ends without afterAll (a failed hook, a timeout) must not leave the KDC running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const kdcLog = () => {
    const file = join(dir, 'kdc.log');
    return log + (existsSync(file) ? readFileSync(file, 'utf8').slice(-8000) : '');
  };
  try {
    await waitForPort(port, child, kdcLog);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const kadmin = (query: string) => run(KADMIN_LOCAL, ['-r', realm, '-q', query], env);
  const qualify = (name: string) => (name.includes('@') ? name : `${name}@${realm}`);
  const exportKeytab = async (principal: string, path = keytab) => {
    await kadmin(`ktadd -k ${path} -norandkey ${qualify(principal)}`);
    return path;
  };
  let n = 0;
  return {
    realm,
    dir,
    port,
    host,
    krb5Conf,
    ccache,
    keytab,
    env,
    qualify,
    kadmin,
    addUser: async (name, password, o = {}) => {
      const life = o.maxLife ? ` -maxlife "${o.maxLife}"` : '';
      await kadmin(`addprinc -pw ${password} -e ${keysalts(o.enctypes ?? enctypes)}${life} ${qualify(name)}`);
      return qualify(name);
    },
    addService: async (spn, o = {}) => {
      const es = o.enctypes ?? enctypes;
      await kadmin(`addprinc -randkey -e ${keysalts(es)} ${qualify(spn)}`);
      // MIT's KDC assumes every service takes aes256 session keys unless told.
      await kadmin(`setstr ${qualify(spn)} session_enctypes ${es.map((e) => MIT_ENCTYPE[e]).join(',')}`);
      return exportKeytab(spn, o.keytab ?? keytab);
    },
    exportKeytab,
    kinit: async (principal, secret, o = {}) => {
      const cc = o.ccache ?? join(dir, `ccache.${++n}`);
      const args = ['-c', `FILE:${cc}`, ...(o.args ?? [])];
      if ('keytab' in secret) await run('/usr/bin/kinit', [...args, '-k', '-t', secret.keytab, qualify(principal)], env);
      else await run('/usr/bin/kinit', [...args, qualify(principal)], env, `${secret.password}\n`);
      return cc;
    },
    klist: (cc = ccache, args = []) => run('/usr/bin/klist', ['-e', ...args, '-c', `FILE:${cc}`], env),
    log: kdcLog,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

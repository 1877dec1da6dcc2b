// Where MIT finds its files: KRB5_CONFIG (a colon-separated list) or
// /etc/krb5.conf, with include/includedir followed; KRB5CCNAME (FILE: or a
// bare path; DIR:, KEYRING: and KCM: are not files psremote can read) or
// /tmp/krb5cc_<uid>; KRB5_CLIENT_KTNAME for a client keytab.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KerberosError } from '../../auth/kerberos/errors.js';
import { mergeKrb5Conf, parseKrb5Conf, type Krb5Conf } from '../../auth/kerberos/krb5-conf.js';

export function loadKrb5Conf(explicit?: string, env: NodeJS.ProcessEnv = process.env): Krb5Conf {
  const paths = explicit !== undefined ? [explicit] : (env.KRB5_CONFIG ?? '/etc/krb5.conf').split(':').filter((p) => p !== '');
  if (explicit !== undefined && !existsSync(explicit)) throw new KerberosError('PSR_KRB_CONFIG', `the Kerberos configuration ${explicit} does not exist`);
  const confs: Krb5Conf[] = [];
  const seen = new Set<string>();
  const read = (p: string, depth: number): void => {
    if (seen.has(p) || depth > 4 || !existsSync(p)) return;
    seen.add(p);
    const c = parseKrb5Conf(readFileSync(p, 'utf8'), p);
    confs.push(c);
    for (const inc of c.includes) {
      if (inc.kind === 'include') read(inc.path, depth + 1);
      else if (existsSync(inc.path)) for (const f of readdirSync(inc.path).sort()) if (/^[\w-]+$/.test(f) || f.endsWith('.conf')) read(join(inc.path, f), depth + 1);
    }
  };
  for (const p of paths) read(p, 0);
  return mergeKrb5Conf(confs);
}

/** A FILE: cache name or path as a path; other cache types are refused by name. */
export function ccachePath(name: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const n = name ?? env.KRB5CCNAME ?? `/tmp/krb5cc_${process.getuid?.() ?? 0}`;
  const m = /^([A-Za-z]+):(.*)$/.exec(n);
  if (m && m[1]!.toUpperCase() !== 'FILE') throw new KerberosError('PSR_KRB_CONFIG', `credential cache ${n}: only FILE: caches are supported (set KRB5CCNAME=FILE:/path)`);
  return m ? m[2]! : n;
}

export function keytabPath(name: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const n = name ?? env.KRB5_CLIENT_KTNAME;
  if (n === undefined || n === '') return undefined;
  const m = /^([A-Za-z]+):(.*)$/.exec(n);
  if (m && !['FILE', 'WRFILE'].includes(m[1]!.toUpperCase())) throw new KerberosError('PSR_KRB_CONFIG', `keytab ${n}: only FILE: keytabs are supported`);
  return m ? m[2]! : n;
}

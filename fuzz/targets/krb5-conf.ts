// Fuzz target: krb5.conf in MIT's profile syntax (parseKrb5Conf and the lookups on it).
import { PsRemoteError } from '../../src/errors.js';
import { defaultRealm, libdefaults, parseKrb5Conf, realmKdcs, realmOfHost } from '../../src/auth/kerberos/krb5-conf.js';

const SEED = '[libdefaults]\n  default_realm = EXAMPLE.COM\n[realms]\n  EXAMPLE.COM = {\n    kdc = kdc.example.com:88\n  }\n[domain_realm]\n  .example.com = EXAMPLE.COM\n';

export default {
  name: 'krb5-conf',
  seeds: (): Uint8Array[] => [new TextEncoder().encode(SEED)],
  run(input: Uint8Array): void {
    try {
      const c = parseKrb5Conf(new TextDecoder().decode(input));
      const realm = defaultRealm(c) ?? 'EXAMPLE.COM';
      realmKdcs(c, realm);
      realmOfHost(c, 'a.example.com');
      libdefaults(c);
    } catch (e) {
      if (!(e instanceof PsRemoteError)) throw e;
    }
  },
};

// krb5.conf in MIT's profile syntax: sections, subsections, comments,
// quoting, final markers, includes; the lookups psremote makes; and parse
// errors naming the file and line.

import { expect, test } from 'vitest';
import { configuredRealms, defaultRealm, libdefaults, parseKrb5Conf, realmKdcs, realmOfHost } from '../../../src/auth/kerberos/krb5-conf.js';
import { parsePrincipal, unparsePrincipal, defaultSalt } from '../../../src/auth/kerberos/principal.js';

const CONF = `# a comment
include /etc/krb5.d/extra.conf
[libdefaults]
  default_realm = EXAMPLE.COM
  dns_lookup_kdc = false
  udp_preference_limit = 1
; another comment
[realms]
  EXAMPLE.COM = {
    kdc = kdc1.example.com
    kdc = kdc2.example.com:750
    kdc = [2001:db8::1]:88
    admin_server = kdc1.example.com
    auth_to_local = RULE:[1:$1@$0]
    v4_instance_convert = {
      mit = mit.edu
    }
  }
  OTHER.ORG = {
    kdc = tcp/kdc.other.org
  } *

[domain_realm]
  .example.com = EXAMPLE.COM
  example.com = EXAMPLE.COM
  special.example.com = OTHER.ORG
`;

test('the relations psremote uses', () => {
  const c = parseKrb5Conf(CONF);
  expect(defaultRealm(c)).toBe('EXAMPLE.COM');
  expect(configuredRealms(c)).toEqual(['EXAMPLE.COM', 'OTHER.ORG']);
  expect(realmKdcs(c, 'EXAMPLE.COM')).toEqual([
    { host: 'kdc1.example.com', port: 88 },
    { host: 'kdc2.example.com', port: 750 },
    { host: '2001:db8::1', port: 88 },
  ]);
  expect(realmKdcs(c, 'example.com')).toEqual([]);
  expect(libdefaults(c)).toMatchObject({ dnsLookupKdc: false, udpPreferenceLimit: 1 });
  expect(c.includes).toEqual([{ kind: 'include', path: '/etc/krb5.d/extra.conf' }]);
});

test('[domain_realm]: the host itself, then the nearest .domain', () => {
  const c = parseKrb5Conf(CONF);
  expect(realmOfHost(c, 'special.example.com')).toBe('OTHER.ORG');
  expect(realmOfHost(c, 'web.example.com')).toBe('EXAMPLE.COM');
  expect(realmOfHost(c, 'a.b.EXAMPLE.com.')).toBe('EXAMPLE.COM');
  expect(realmOfHost(c, 'example.com')).toBe('EXAMPLE.COM');
  expect(realmOfHost(c, 'example.net')).toBeUndefined();
});

test('errors name the file and line', () => {
  expect(() => parseKrb5Conf('[realms]\n  R = {\n    kdc = x\n', '/etc/krb5.conf')).toThrow(/\/etc\/krb5.conf line 3: the file ends inside \{ \}/);
  expect(() => parseKrb5Conf('default_realm = R\n')).toThrow(/line 1: a relation before the first \[section\]/);
  expect(() => parseKrb5Conf('[a]\nnot a relation\n')).toThrow(/line 2: expected "name = value"/);
  expect(() => parseKrb5Conf('[a]\n}\n')).toThrow(/line 2: a \} without a matching \{/);
});

test('principal names: components, escapes, default realm, default salt', () => {
  expect(parsePrincipal('HTTP/web.example.com@EXAMPLE.COM')).toEqual({ realm: 'EXAMPLE.COM', components: ['HTTP', 'web.example.com'] });
  expect(parsePrincipal('alice', 'EXAMPLE.COM')).toEqual({ realm: 'EXAMPLE.COM', components: ['alice'] });
  expect(parsePrincipal('a\\/b@R')).toEqual({ realm: 'R', components: ['a/b'] });
  expect(unparsePrincipal({ realm: 'R', components: ['a/b', 'c'] })).toBe('a\\/b/c@R');
  expect(defaultSalt({ realm: 'EXAMPLE.COM', components: ['HTTP', 'web'] })).toBe('EXAMPLE.COMHTTPweb');
  expect(() => parsePrincipal('alice')).toThrow(/names no realm and no default_realm/);
  expect(() => parsePrincipal('a@b@c')).toThrow(/more than one '@'/);
  expect(() => parsePrincipal('a//b@R')).toThrow(/empty name component/);
});

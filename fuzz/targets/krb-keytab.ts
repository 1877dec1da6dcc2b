// Fuzz target: MIT keytab files (parseKeytab), from a file a user points psremote at.
import { PsRemoteError } from '../../src/errors.js';
import { readFileSync } from 'node:fs';
import { parseKeytab, serializeKeytab } from '../../src/auth/kerberos/keytab.js';

const recordedKeytab = (): Uint8Array[] => {
  try {
    return [new Uint8Array(readFileSync(new URL('../../fixtures/kerberos/mit/http-localhost.keytab', import.meta.url)))];
  } catch {
    return [];
  }
};

export const seedKeytab = (): Uint8Array =>
  serializeKeytab([
    { principal: { realm: 'EXAMPLE.COM', components: ['HTTP', 'host.example.com'] }, kvno: 3, key: { enctype: 18, value: new Uint8Array(32).fill(1) }, timestamp: new Date(1.7e12) },
    { principal: { realm: 'EXAMPLE.COM', components: ['alice'] }, kvno: 300, key: { enctype: 23, value: new Uint8Array(16).fill(2) }, timestamp: new Date(1.7e12) },
  ]);

export default {
  name: 'krb-keytab',
  seeds: (): Uint8Array[] => [seedKeytab(), ...recordedKeytab()],
  run(input: Uint8Array): void {
    try {
      parseKeytab(input);
    } catch (e) {
      if (!(e instanceof PsRemoteError)) throw e;
    }
  },
};

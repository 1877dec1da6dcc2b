// Fuzz target: MIT FILE ccache (parseCcache), a file anyone with the path can write.
import { PsRemoteError } from '../../src/errors.js';
import { parseCcache, serializeCcache } from '../../src/auth/kerberos/ccache.js';
import { seedTicket } from './krb-seeds.js';

const alice = { nameType: 1, realm: 'EXAMPLE.COM', components: ['alice'] };
export const seedCcache = (): Uint8Array =>
  serializeCcache({
    defaultPrincipal: alice,
    kdcTimeOffset: { seconds: -3, microseconds: 5 },
    config: [{ key: 'fast_avail', principal: 'krbtgt/EXAMPLE.COM@EXAMPLE.COM', value: new TextEncoder().encode('yes'), client: alice }],
    credentials: [
      {
        client: alice,
        server: { nameType: 2, realm: 'EXAMPLE.COM', components: ['krbtgt', 'EXAMPLE.COM'] },
        key: { enctype: 18, value: new Uint8Array(32).fill(4) },
        authTime: new Date(1.7e12),
        startTime: new Date(1.7e12),
        endTime: new Date(1.7e12 + 36e6),
        renewTill: new Date(1.7e12 + 72e6),
        isSkey: false,
        flags: 0x40e10000,
        addresses: [{ addrType: 2, address: Uint8Array.of(127, 0, 0, 1) }],
        authData: [],
        ticket: seedTicket(),
        secondTicket: new Uint8Array(0),
      },
    ],
  });

export default {
  name: 'krb-ccache',
  seeds: (): Uint8Array[] => [seedCcache()],
  run(input: Uint8Array): void {
    try {
      parseCcache(input);
    } catch (e) {
      if (!(e instanceof PsRemoteError)) throw e;
    }
  },
};

// The Kerberos fuzz targets (fuzz/targets/krb-*.ts) under fast-check, so
// something runs in every test run: mutated seeds and random bytes must give
// a value or a PsRemoteError, never another exception or a hang.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import apReq from '../../../fuzz/targets/krb-ap-req.js';
import kdcRep from '../../../fuzz/targets/krb-kdc-rep.js';
import ticket from '../../../fuzz/targets/krb-ticket.js';
import krb5conf from '../../../fuzz/targets/krb5-conf.js';
import keytab, { seedKeytab } from '../../../fuzz/targets/krb-keytab.js';
import ccache, { seedCcache } from '../../../fuzz/targets/krb-ccache.js';
import { parseKeytab } from '../../../src/auth/kerberos/keytab.js';
import { parseCcache, serializeCcache } from '../../../src/auth/kerberos/ccache.js';

export interface FuzzTarget {
  name: string;
  seeds(): Uint8Array[];
  run(input: Uint8Array): void;
}

/** A seed with a few bytes changed, cut or extended. */
export function mutated(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), fc.boolean())
    .map(([seed, edits, cut, doCut]) => {
      const b = seed.slice();
      for (const [at, v] of edits) b[at % b.byteLength] = v;
      return doCut ? b.subarray(0, cut % (b.byteLength + 1)) : b;
    });
}

export function checkTarget(target: FuzzTarget, runs = 400): void {
  for (const s of target.seeds()) expect(() => target.run(s)).not.toThrow();
  fc.assert(fc.property(fc.oneof(mutated(target.seeds()), fc.uint8Array({ maxLength: 300 })), (input) => target.run(input)), { numRuns: runs });
}

describe.each([ticket, kdcRep, apReq, keytab, ccache, krb5conf])('fuzz target $name', (target) => {
  test('seeds parse; mutations and random bytes give only typed errors', () => checkTarget(target));
});

import * as seeds from '../../../fuzz/targets/krb-seeds.js';
import * as m from '../../../src/auth/kerberos/messages/index.js';

test('the seeds are valid messages (so mutations start from deep inside the parsers)', () => {
  expect(m.decodeTicket(seeds.seedTicket()).realm).toBe('EXAMPLE.COM');
  expect(m.decodeEncTicketPart(seeds.seedEncTicketPart()).cname.components).toEqual(['alice']);
  expect(m.decodeKdcRep(seeds.seedAsRep(), 11).ticket.der).toEqual(seeds.seedTicket());
  expect(m.decodeKrbError(seeds.seedKrbError()).errorCode).toBe(25);
  expect(m.decodeApReq(seeds.seedApReq()).ticket.realm).toBe('EXAMPLE.COM');
  expect(m.decodeKdcReq(seeds.seedAsReq()).body.etypes).toEqual([18, 17, 23]);
  expect(m.decodeAuthenticator(seeds.seedAuthenticator()).seqNumber).toBe(7);
});

test('the keytab and ccache seeds parse and round-trip', () => {
  const kt = parseKeytab(seedKeytab());
  expect(kt.entries.map((e) => [e.principal.components.join('/'), e.kvno, e.key.enctype])).toEqual([['HTTP/host.example.com', 3, 18], ['alice', 300, 23]]);
  const cc = parseCcache(seedCcache());
  expect(cc.kdcTimeOffset).toEqual({ seconds: -3, microseconds: 5 });
  expect(cc.credentials[0]!.renewTill).toEqual(new Date(1.7e12 + 72e6));
  expect(serializeCcache(cc)).toEqual(seedCcache());
});

test('the real MIT recordings are among the seeds', () => {
  expect(seeds.recorded('reply').length).toBeGreaterThanOrEqual(5);
  expect(kdcRep.seeds().length).toBeGreaterThan(3);
  expect(keytab.seeds()).toHaveLength(2);
});

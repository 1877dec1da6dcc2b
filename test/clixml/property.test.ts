// fast-check: random values of every CLIXML type, nested containers, shared
// objects and cycles, random Unicode (lone surrogates and control characters
// included) in text and property names, extreme numbers and dates with every
// kind and offset. Each value is written, read back and compared; writing the
// result again must give the same text (the writer is canonical).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  PSByte,
  PSChar,
  PSDateTime,
  PSDecimal,
  PSDouble,
  PSDuration,
  PSGuid,
  PSInt16,
  PSInt64,
  PSObject,
  PSProgressRecord,
  PSPropertySet,
  PSSByte,
  PSScriptBlock,
  PSSecureString,
  PSSingle,
  PSUInt16,
  PSUInt32,
  PSUInt64,
  PSUri,
  PSVersion,
  PSXmlDocument,
  parseClixml,
  serializeClixml,
  toPlain,
  type CollectionKind,
  type PSMember,
  type PSValue,
  type SecureStringCipher,
} from '../../src/clixml/index.js';

// A reversible stand-in for the session key (the real AES one is tested in primitives.test.ts).
const fakeCipher: SecureStringCipher = {
  encryptToBase64: (p) => Buffer.from(p, 'utf16le').reverse().toString('base64'),
  decryptFromBase64: (b) => Buffer.from(b, 'base64').reverse().toString('utf16le'),
};

/** Any UTF-16 string: lone surrogates, controls, and the sequences escaping has to get right. */
const anyString = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
      { weight: 2, arbitrary: fc.constantFrom('_x', '_X', '_x0041_', '_x0001F600_', '_', '&', '<', '>', ']]>', '\r\n', '\r', '"', "'", '\t') },
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

const typeName = fc.constantFrom('System.Object', 'System.Diagnostics.Process', 'Deserialized.X', 'System.Collections.Hashtable', 'weird_x0041_ & <name>', 'System.Enum');
const typeNames = fc.array(typeName, { minLength: 0, maxLength: 3 });

const dateTime = fc
  .tuple(fc.bigInt({ min: 0n, max: 3_155_378_975_999_999_999n }), fc.constantFrom('Utc', 'Local', 'Unspecified') as fc.Arbitrary<'Utc' | 'Local' | 'Unspecified'>, fc.integer({ min: -840, max: 840 }))
  .map(([ticks, kind, offset]) => new PSDateTime(ticks, kind, kind === 'Local' ? offset : 0));

const decimal = fc
  .tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^\d{1,29}$/), fc.option(fc.stringMatching(/^\d{0,28}$/)))
  .map(([s, i, f]) => new PSDecimal(f === null ? `${s}${i}` : `${s}${i}.${f}`));

const version = fc
  .array(fc.integer({ min: 0, max: 2147483647 }), { minLength: 2, maxLength: 4 })
  .map((parts) => new PSVersion(parts.join('.')));

// With a cipher every <SS> is decrypted, so the random values hold plaintext;
// ciphertext kept as is (no cipher) has its own property below.
const secureString = anyString.map((s) => PSSecureString.fromPlaintext(s));
const encryptedSecureString = fc
  .uint8Array({ minLength: 16, maxLength: 64 })
  .map((b) => PSSecureString.fromEncrypted(Buffer.from(b.subarray(0, b.length - (b.length % 16))).toString('base64')));

const progress = fc
  .record({
    activity: anyString,
    activityId: fc.integer({ min: -2147483648, max: 2147483647 }),
    currentOperation: fc.option(anyString),
    parentActivityId: fc.integer({ min: -1, max: 100 }),
    percentComplete: fc.integer({ min: -1, max: 100 }),
    recordType: fc.constantFrom('Processing', 'Completed'),
    secondsRemaining: fc.integer({ min: -1, max: 1e6 }),
    statusDescription: anyString,
  })
  .map((r) => new PSProgressRecord(r));

/** One arbitrary per primitive type of 2.2.5.1 (and <PR>). */
export const primitive: fc.Arbitrary<PSValue> = fc.oneof(
  fc.constant(null),
  anyString,
  fc.boolean(),
  fc.integer({ min: -2147483648, max: 2147483647 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.integer({ min: 0, max: 0xffff }).map((c) => new PSChar(c)),
  fc.integer({ min: 0, max: 255 }).map((v) => new PSByte(v)),
  fc.integer({ min: -128, max: 127 }).map((v) => new PSSByte(v)),
  fc.integer({ min: -32768, max: 32767 }).map((v) => new PSInt16(v)),
  fc.integer({ min: 0, max: 65535 }).map((v) => new PSUInt16(v)),
  fc.integer({ min: 0, max: 4294967295 }).map((v) => new PSUInt32(v)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => new PSInt64(v)),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => new PSUInt64(v)),
  fc.float().map((v) => new PSSingle(v)),
  fc.double().map((v) => new PSDouble(v)),
  decimal,
  fc.uuid().map((u) => new PSGuid(u)),
  anyString.map((s) => new PSUri(s)),
  version,
  anyString.map((s) => new PSXmlDocument(s)),
  anyString.map((s) => new PSScriptBlock(s)),
  dateTime,
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((t) => new PSDuration(t)),
  secureString,
  progress,
);

const propName = fc.oneof(fc.constantFrom('Name', 'Id', 'name', 'Value', 'a_x0020_b', 'x y', '<&>'), anyString.filter((s) => s.length > 0));

interface Tree {
  value: PSValue;
}

const { tree } = fc.letrec<{ tree: PSValue; obj: PSObject; member: PSMember; set: PSPropertySet }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, primitive, tie('obj')),
  member: fc.oneof({ depthSize: 'small' }, tie('tree'), tie('set')),
  set: fc.uniqueArray(fc.tuple(propName, tie('member')), { selector: ([k]) => k, maxLength: 3 }).map((e) => new PSPropertySet(e)),
  obj: fc
    .record({
      typeNames: fc.option(typeNames),
      toStringText: fc.option(anyString),
      adapted: fc.uniqueArray(fc.tuple(propName, tie('tree')), { selector: ([k]) => k, maxLength: 4 }),
      extended: fc.uniqueArray(fc.tuple(propName, tie('member')), { selector: ([k]) => k, maxLength: 4 }),
      body: fc.oneof(
        fc.constant({}),
        tie('tree').map((value) => ({ value })),
        fc.tuple(fc.array(tie('tree'), { maxLength: 4 }), fc.constantFrom('LST', 'IE', 'STK', 'QUE') as fc.Arbitrary<CollectionKind>).map(([list, listKind]) => ({ list, listKind })),
        fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 4 }).map((dict) => ({ dict })),
      ),
    })
    .map((r) => new PSObject({
      typeNames: r.typeNames ?? undefined,
      toStringText: r.toStringText ?? undefined,
      adapted: r.adapted as [string, PSValue][],
      extended: r.extended,
      ...r.body,
    })),
}));

/** Adds sharing and cycles: some objects get a property pointing at another object of the graph (or itself). */
const graph = fc
  .tuple(fc.array(tree, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.nat(), propName), { maxLength: 4 }))
  .map(([roots, links]) => {
    const objs: PSObject[] = [];
    const walk = (v: unknown, seen = new Set<unknown>()): void => {
      if (!(v instanceof PSObject) || seen.has(v)) return;
      seen.add(v);
      objs.push(v);
      [...v.adapted.values(), ...v.extended.values(), v.value, ...(v.list ?? []), ...(v.dict ?? []).flat()].forEach((x) => walk(x, seen));
    };
    const root = PSObject.list(roots);
    walk(root);
    for (const [from, to, name] of links) objs[from % objs.length]!.setProperty(`link ${name}`, objs[to % objs.length]!);
    return root as PSValue;
  });

function secrets(v: unknown, seen = new Set<unknown>()): (string | undefined)[] {
  if (v instanceof PSSecureString) return [v.reveal() ?? v.encrypted];
  if (v === null || typeof v !== 'object' || seen.has(v)) return [];
  seen.add(v);
  const kids = v instanceof Map ? [...v.values()] : Array.isArray(v) ? v : Object.values(v);
  return kids.flatMap((k) => secrets(k, seen));
}

function checkRoundTrip(v: PSValue): void {
  const xml = serializeClixml(v, { cipher: fakeCipher });
  const back = parseClixml(xml, { cipher: fakeCipher });
  expect(back).toEqual(v);
  expect(secrets(back)).toEqual(secrets(v));
  // Canonical: the value read back is written as the same text.
  expect(serializeClixml(back, { cipher: fakeCipher })).toBe(xml);
}

describe('round trips of random values', () => {
  test('every primitive type', () => {
    fc.assert(fc.property(primitive, (v) => checkRoundTrip(v)), { numRuns: 3000 });
  });

  test('nested objects, containers, property sets', () => {
    fc.assert(fc.property(tree, (v) => checkRoundTrip(v)), { numRuns: 600 });
  });

  test('graphs with shared objects and cycles keep their identities', () => {
    fc.assert(
      fc.property(graph, (v) => {
        checkRoundTrip(v);
        // Identity, not just equality: the same pairs of positions hold the same instance.
        const ids = (root: unknown): number[] => {
          const seen = new Map<unknown, number>();
          const out: number[] = [];
          const walk = (x: unknown): void => {
            if (!(x instanceof PSObject)) return;
            const known = seen.get(x);
            out.push(known ?? seen.size);
            if (known !== undefined) return;
            seen.set(x, seen.size);
            [...x.adapted.values(), ...x.extended.values(), x.value, ...(x.list ?? []), ...(x.dict ?? []).flat()].forEach(walk);
          };
          walk(root);
          return out;
        };
        expect(ids(parseClixml(serializeClixml(v, { cipher: fakeCipher }), { cipher: fakeCipher }))).toEqual(ids(v));
        // The plain view terminates on cycles and never throws for these sizes.
        JSON.stringify(toPlain(v));
      }),
      { numRuns: 300 },
    );
  });

  test('SecureStrings read without a key keep their ciphertext', () => {
    fc.assert(
      fc.property(encryptedSecureString, (v) => {
        const xml = serializeClixml(v);
        expect(parseClixml(xml)).toEqual(v);
        expect(secrets(parseClixml(xml))).toEqual([v.encrypted]);
      }),
      { numRuns: 300 },
    );
  });

  test('any string, as element text and as a property name', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(parseClixml(serializeClixml(s))).toBe(s);
        const o = parseClixml(serializeClixml(PSObject.custom({ [s]: s }))) as PSObject;
        expect([...o.extended.entries()]).toEqual([[s, s]]);
      }),
      { numRuns: 3000 },
    );
  });

  test('DateTime text: every valid instant, kind and offset reads back to the same ticks', () => {
    fc.assert(
      fc.property(dateTime, (d) => {
        const back = PSDateTime.parse(d.toString());
        expect(back).toEqual(d);
      }),
      { numRuns: 3000 },
    );
  });

  test('TimeSpan text: the hand-written reader agrees with a regex reading of xs:duration', () => {
    // Reference: the xs:duration grammar as a regex, .NET's 365/30-day years and months, 100-ns truncation.
    const RE = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$/;
    const reference = (t: string): bigint | undefined => {
      const m = RE.exec(t);
      if (m === null || m.slice(2, 8).every((x) => x === undefined) || t.endsWith('T')) return undefined;
      const n = (i: number): bigint => BigInt(m[i] ?? 0);
      const secs = ((((n(2) * 365n + n(3) * 30n + n(4)) * 24n + n(5)) * 60n + n(6)) * 60n) + n(7);
      const ticks = (secs * 10_000_000n + BigInt((m[8] ?? '').slice(0, 7).padEnd(7, '0'))) * (m[1] ? -1n : 1n);
      return ticks < -(2n ** 63n) || ticks > 2n ** 63n - 1n ? undefined : ticks;
    };
    const piece = fc.oneof(fc.constantFrom('P', 'T', 'Y', 'M', 'D', 'H', 'S', '.', '-', '0'), fc.nat({ max: 100000 }).map(String), fc.constantFrom('10675199', '922337203685', '4775807', '99999999'));
    const text = fc.oneof(
      fc.array(piece, { maxLength: 10 }).map((p) => p.join('')),
      fc.tuple(fc.boolean(), fc.array(fc.tuple(fc.nat({ max: 10000000 }), fc.constantFrom('Y', 'M', 'D')), { maxLength: 3 }), fc.boolean(), fc.array(fc.tuple(fc.nat({ max: 100000 }), fc.constantFrom('H', 'M', 'S', '.5S', '.12345678S')), { maxLength: 3 }))
        .map(([neg, date, t, time]) => `${neg ? '-' : ''}P${date.map(([v, u]) => `${v}${u}`).join('')}${t ? 'T' : ''}${time.map(([v, u]) => `${v}${u}`).join('')}`),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(PSDuration.parse(t)?.ticks, t).toBe(reference(t));
      }),
      { numRuns: 5000 },
    );
  });

  test('doubles and singles keep their exact bits', () => {
    fc.assert(
      fc.property(fc.double(), fc.float(), (d, f) => {
        expect(Object.is((parseClixml(serializeClixml(new PSDouble(d))) as PSDouble).value, d)).toBe(true);
        expect(Object.is((parseClixml(serializeClixml(new PSSingle(f))) as PSSingle).value, Math.fround(f))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

export type { Tree };

// toPlain over shared <Ref>s: the expansion is bounded by characters produced, so
// a small document cannot turn into a gigabyte of JSON (and an untyped RangeError).
import { describe, expect, test } from 'vitest';
import { LimitError } from '../../src/errors.js';
import { parseClixml, toPlain } from '../../src/clixml/index.js';
import { toDisplayString } from '../../src/clixml/display.js';

const NS = 'http://schemas.microsoft.com/powershell/2004/04';

// A: an object with one 4 KiB string; B: a list of A and `inner` refs to it;
// C: a list of B and `outer` refs to it. The document is ~25 KB; its expansion
// is (inner+1)·(outer+1)·4 KiB: 1.2 GB for 299 × 1000, which on the old code
// took 1.38 GB of memory and ended in "RangeError: Invalid string length".
function sharedRefs(inner: number, outer: number): string {
  const a = `<Obj RefId="0"><MS><S N="s">${'x'.repeat(4096)}</S></MS></Obj>`;
  const b = `<Obj RefId="1"><LST>${a}${'<Ref RefId="0"/>'.repeat(inner)}</LST></Obj>`;
  return `<Obj RefId="2" xmlns="${NS}"><LST>${b}${'<Ref RefId="1"/>'.repeat(outer)}</LST></Obj>`;
}

describe('toPlain character budget', () => {
  test('a 25 KB document of shared refs is a LimitError, not 1.2 GB of JSON', () => {
    const doc = sharedRefs(299, 1000);
    expect(doc.length).toBeLessThan(30_000);
    const v = parseClixml(doc);
    let err: unknown;
    try {
      JSON.stringify(toPlain(v));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LimitError);
    expect(err).toMatchObject({ code: 'PSR_LIMIT', limit: 'plain view characters', max: 128 * 1024 * 1024 });
    // the CLI's human output goes through the same view
    expect(() => toDisplayString(v as never)).toThrow(LimitError);
  });

  test('shared refs within the budget still expand where they occur', () => {
    const plain = toPlain(parseClixml(sharedRefs(2, 1))) as { s: string }[][];
    expect(plain).toHaveLength(2);
    expect(plain[1]).toHaveLength(3);
    expect(plain[1]![2]!.s).toHaveLength(4096);
  });

  test('maxChars is configurable and counts keys and each occurrence of a string', () => {
    const v = parseClixml(sharedRefs(2, 1)); // 6 occurrences of "s" + 4096 chars
    expect(() => toPlain(v, { maxChars: 6 * 4097 - 1 })).toThrow(/plain view characters limit exceeded: 24582 > 24581/);
    expect(() => toPlain(v, { maxChars: 6 * 4097 })).not.toThrow();
  });
});

// Hostile-input limits of the XML reader: namespace declarations cost linear
// work and are bounded, "]]>" in text is refused, entity decoding is exact.
import { describe, expect, test } from 'vitest';
import { LimitError, RemoteProtocolError } from '../../src/errors.js';
import { XmlScanner, decodeXmlEntities, parseXml, serializeXml } from '../../src/util/xml.js';

// `depth` nested elements each declaring 100 prefixes (so 100·depth bindings are in
// scope), then `siblings` empty children each declaring one more. Copying the prefix
// map per declaring element (the old reader) made this depth·siblings·100 work.
function nsBomb(depth: number, siblings: number): string {
  let open = '';
  let close = '';
  for (let d = 0; d < depth; d++) {
    let decl = '';
    for (let k = 0; k < 100; k++) decl += ` xmlns:p${d}_${k}="urn:${d}:${k}"`;
    open += `<e${d}${decl}>`;
    close = `</e${d}>${close}`;
  }
  let kids = '';
  for (let s = 0; s < siblings; s++) kids += `<p0_0:k xmlns:q="urn:q${s}"/>`;
  return `${open}${kids}${close}`;
}

function cpuMicros(run: () => void): number {
  const t = process.cpuUsage();
  run();
  const d = process.cpuUsage(t);
  return d.user + d.system;
}

describe('XML namespace declarations', () => {
  test('30,000 declarations cost about ten times 3,000, not a hundred (linear scope handling)', () => {
    const small = nsBomb(10, 2_000); // 3,000 declarations
    const large = nsBomb(100, 20_000); // 30,000 declarations
    for (let i = 0; i < 3; i++) parseXml(small); // warm the JIT
    let best = Infinity;
    for (let trial = 0; trial < 5 && best >= 20; trial++) {
      const s = cpuMicros(() => {
        for (let i = 0; i < 10; i++) parseXml(small);
      }) / 10;
      const l = cpuMicros(() => parseXml(large));
      best = Math.min(best, l / Math.max(s, 1));
    }
    // Linear work gives ~10; the quadratic reader gave 330 (92 s for the 30,000 on this machine).
    expect(best).toBeLessThan(20);
    // The bindings are right after all that nesting: the last child resolves p0_0.
    const root = parseXml(large);
    let el = root;
    while (el.children[0]?.type === 'element' && el.children[0].local.startsWith('e')) el = el.children[0];
    const kid = el.children[el.children.length - 1]!;
    expect(kid).toMatchObject({ type: 'element', ns: 'urn:0:0', local: 'k' });
  });

  test('declarations go out of scope with their element (undo log restores shadowed prefixes)', () => {
    const root = parseXml('<a xmlns:p="urn:1"><p:b xmlns:p="urn:2"><p:c/></p:b><p:d/><e xmlns="urn:3"/><f/></a>');
    const [b, d, e, f] = root.children as never as { ns: string; children: { ns: string }[] }[];
    expect(b!.ns).toBe('urn:2');
    expect(b!.children[0]!.ns).toBe('urn:2');
    expect(d!.ns).toBe('urn:1');
    expect(e!.ns).toBe('urn:3');
    expect(f!.ns).toBe('');
    expect(() => parseXml('<a><p:b xmlns:p="urn:1"/><p:c/></a>')).toThrow(/unbound namespace prefix "p"/);
  });

  test('a limit on declarations per element and per document (LimitError)', () => {
    let decl = '';
    for (let k = 0; k < 300; k++) decl += ` xmlns:p${k}="urn:${k}"`;
    const err = (() => {
      try {
        parseXml(`<a${decl}/>`, { where: 'envelope' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LimitError);
    expect(err).toMatchObject({ code: 'PSR_LIMIT', limit: 'XML namespace declarations per element', max: 256, actual: 257 });
    expect((err as Error).message).toContain('envelope');
    expect(() => parseXml(nsBomb(10, 2_000), { maxNamespaceDeclarations: 2_999 })).toThrow(LimitError);
    expect(() => parseXml(nsBomb(10, 2_000), { maxNamespaceDeclarations: 3_000 })).not.toThrow();
    expect(() => parseXml(nsBomb(1, 0), { maxNamespaceDeclarationsPerElement: 99 })).toThrow(/per element limit exceeded: 100 > 99/);
  });

  test('serializeXml of a declaration-heavy tree keeps every needed prefix', () => {
    const root = parseXml('<a xmlns:p="urn:1"><p:b xmlns:p="urn:2"><p:c/></p:b><p:d/></a>');
    const b = root.children[0] as never;
    expect(serializeXml(b)).toBe('<p:b xmlns:p="urn:2"><p:c/></p:b>');
    const d = root.children[1] as never;
    expect(serializeXml(d)).toBe('<p:d xmlns:p="urn:1"/>');
  });
});

describe('"]]>" in character data', () => {
  test('is refused in text, allowed inside CDATA and attributes', () => {
    expect(() => parseXml('<a>x]]>y</a>', { where: 'doc' })).toThrow(RemoteProtocolError);
    expect(() => parseXml('<a>x]]>y</a>')).toThrow(/"\]\]>" in character data/);
    expect(parseXml('<a><![CDATA[x]]]]><![CDATA[>y]]></a>').children).toEqual([{ type: 'text', text: 'x]]>y' }]);
    expect(parseXml('<a b="]]>"/>').attrs[0]!.value).toBe(']]>');
    expect(parseXml('<a>x]]&gt;y</a>').children[0]).toEqual({ type: 'text', text: 'x]]>y' });
    const s = new XmlScanner('<a>]]></a>');
    s.next();
    expect(() => s.next()).toThrow(/offset 3/);
  });
});

describe('entity decoding', () => {
  test('many references decode exactly (chunked, not one replace call)', () => {
    const n = 100_000;
    const raw = '&amp;'.repeat(n) + 'x&lt;&#x41;&#66;&quot;&apos;&gt;';
    const out = decodeXmlEntities(raw, (m) => {
      throw new Error(m);
    });
    expect(out.length).toBe(n + 7);
    expect(out.slice(n)).toBe('x<AB"\'>');
    expect(out.slice(0, n)).toBe('&'.repeat(n));
  });
  test('a bare & or unknown entity after many good ones names its offset', () => {
    const raw = '&amp;'.repeat(5000) + '&bogus;';
    expect(() =>
      decodeXmlEntities(raw, (m, off) => {
        throw new Error(`${m} @${off}`);
      }),
    ).toThrow(`unknown entity &bogus; (only the five predefined ones and character references are allowed) @25000`);
    expect(() =>
      decodeXmlEntities('ab& c', (m, off) => {
        throw new Error(`${m} @${off}`);
      }),
    ).toThrow('bare "&" (use &amp;) @2');
  });
});

// Counts live objects by constructor name in a V8 heap snapshot of this
// process (node:v8 getHeapSnapshot; taking it runs a full GC first, so only
// objects still reachable are counted). Used to show that finished pipelines
// are not kept, whatever the number of commands run.
import { getHeapSnapshot } from 'node:v8';

export async function countObjects(names: readonly string[]): Promise<Record<string, number>> {
  const chunks: Buffer[] = [];
  for await (const c of getHeapSnapshot()) chunks.push(c as Buffer);
  const snap = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const objectType = snap.snapshot.meta.node_types[0].indexOf('object');
  const wanted = new Map(names.map((n) => [n, 0]));
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    if (snap.nodes[i + typeAt] !== objectType) continue;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    const n = wanted.get(name);
    if (n !== undefined) wanted.set(name, n + 1);
  }
  return Object.fromEntries(wanted);
}

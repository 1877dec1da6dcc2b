// Normalizes a recorded OutOfProc trace (test/golden/proxy.ts) into what can be
// compared between two clients: per direction and per PSGuid, the sequence of
// OutOfProc packets and the PSRP messages they carry (type, destination, pool and
// pipeline ids as labels) with each message body flattened to `path = TAG:value`
// entries. GUIDs become labels in order of appearance, and values that differ
// from run to run (times, process and thread ids) are masked. Acknowledgements
// are only counted: the server writes them from its own threads, in no fixed order
// against its data. The order between different PSGuids is not kept either: the
// client and the server interleave pipelines and the pool freely.
import { MessageDecoder } from '../../src/psrp/decode.js';
import { decodePacket, POOL_GUID } from '../../src/transport/outofproc/packets.js';
import { parseXml, type XmlElement } from '../../src/util/xml.js';
import type { TraceLine } from './proxy.js';

export interface TraceEntry {
  readonly packet: string;
  readonly stream?: string;
  readonly message?: string;
  readonly destination?: 'client' | 'server';
  readonly rpid?: string;
  readonly pid?: string;
  readonly body?: Record<string, string>;
}

export interface NormalizedTrace {
  /** Client to server, per PSGuid label. */
  readonly c2s: Record<string, TraceEntry[]>;
  /** Server to client, per PSGuid label (data only). */
  readonly s2c: Record<string, TraceEntry[]>;
  /** Acknowledgements the server sent, per PSGuid label and kind. */
  readonly acks: Record<string, Record<string, number>>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * Leaves whose value changes with the run, the process or the machine (host name
 * and user of an InformationRecord), not with the client.
 */
const VOLATILE = new Set(['TimeGenerated', 'ProcessId', 'NativeThreadId', 'ManagedThreadId', 'Computer', 'User']);

class Labels {
  readonly #map = new Map<string, string>([[POOL_GUID, 'zero']]);
  #pipelines = 0;
  #others = 0;
  pool(g: string): string {
    return this.#set(g, 'pool');
  }
  pipeline(g: string): string {
    return this.#map.get(g.toLowerCase()) ?? this.#set(g, `pipeline-${++this.#pipelines}`);
  }
  any(g: string): string {
    return this.#map.get(g.toLowerCase()) ?? this.#set(g, `guid-${++this.#others}`);
  }
  #set(g: string, label: string): string {
    const k = g.toLowerCase();
    if (!this.#map.has(k)) this.#map.set(k, label);
    return this.#map.get(k)!;
  }
}

export function normalizeTrace(lines: readonly TraceLine[]): NormalizedTrace {
  const labels = new Labels();
  const out: NormalizedTrace = { c2s: {}, s2c: {}, acks: {} };
  const decoders = new Map<string, MessageDecoder>();
  for (const { dir, line } of lines) {
    const p = decodePacket(line);
    if (p.kind === 'TransportError') {
      (out.s2c.error ??= []).push({ packet: 'TransportError' });
      continue;
    }
    // Pipelines get their labels from the client's Command, in the order it creates them.
    const label = p.psGuid === POOL_GUID ? 'pool' : p.kind === 'Command' ? labels.pipeline(p.psGuid) : labels.any(p.psGuid);
    if (p.kind.endsWith('Ack')) {
      const a = (out.acks[label] ??= {});
      a[p.kind] = (a[p.kind] ?? 0) + 1;
      continue;
    }
    const seq = ((dir === 'c2s' ? out.c2s : out.s2c)[label] ??= []);
    if (p.kind !== 'Data') {
      seq.push({ packet: p.kind });
      continue;
    }
    const key = `${dir} ${p.psGuid}`;
    let d = decoders.get(key);
    if (!d) decoders.set(key, (d = new MessageDecoder({ where: `${dir} ${label}` })));
    for (const m of d.receive(p.payload)) {
      const rpid = m.message.runspacePoolId === POOL_GUID ? 'zero' : labels.pool(m.message.runspacePoolId);
      seq.push({
        packet: 'Data',
        stream: p.stream,
        message: m.specName,
        destination: m.message.destination === 1 ? 'client' : 'server',
        rpid,
        pid: m.pipelineId ? labels.any(m.pipelineId) : 'zero',
        body: m.clixml.trim() === '' ? {} : flattenClixml(m.clixml, labels),
      });
    }
  }
  return out;
}

/** `path = TAG:value` for every leaf of a CLIXML document; `@types` for type names. */
function flattenClixml(xml: string, labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  const typeNames = new Map<string, string>();
  const walk = (el: XmlElement, path: string) => {
    const kids = el.children.filter((c): c is XmlElement => c.type === 'element');
    if (el.local === 'Ref') {
      out[path] = 'Ref';
      return;
    }
    if (kids.length === 0) {
      out[path] = leaf(el, path, labels);
      return;
    }
    const seen = new Map<string, number>();
    for (const k of kids) {
      if (k.local === 'TN' || k.local === 'TNRef') {
        const id = attr(k, 'RefId') ?? '';
        if (k.local === 'TN') typeNames.set(id, k.children.filter((c): c is XmlElement => c.type === 'element').map((t) => text(t)).join(' > '));
        out[`${path}@types`] = typeNames.get(id) ?? '?';
        continue;
      }
      if (k.local === 'MS' || k.local === 'Props') {
        walk(k, `${path}/${k.local}`);
        continue;
      }
      let seg = attr(k, 'N');
      if (seg === undefined && k.local === 'En') {
        // Dictionary entries by key: hashtables keep no order.
        const keyEl = k.children.find((c): c is XmlElement => c.type === 'element' && attr(c, 'N') === 'Key');
        seg = `[${keyEl ? text(keyEl) : '?'}]`;
      }
      if (seg === undefined) {
        const n = seen.get(k.local) ?? 0;
        seen.set(k.local, n + 1);
        seg = `${k.local}${n}`;
      }
      walk(k, path === '' ? seg : `${path}/${seg}`);
    }
  };
  walk(parseXml(xml, { where: 'CLIXML' }), '');
  return out;
}

function leaf(el: XmlElement, path: string, labels: Labels): string {
  const value = text(el);
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (VOLATILE.has(name) || el.local === 'DT') return `${el.local}:*`;
  if (GUID.test(value.trim())) return `${el.local}:${labels.any(value.trim())}`;
  return `${el.local}:${value}`;
}

function attr(el: XmlElement, name: string): string | undefined {
  return el.attrs.find((a) => a.local === name && a.ns === '')?.value;
}

function text(el: XmlElement): string {
  return el.children.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

/**
 * The differences between a golden trace and another, one line each:
 * `dir label #i MESSAGE path: golden X, ours Y`, or a whole sequence when the
 * message types differ.
 */
export function diffTraces(golden: NormalizedTrace, ours: NormalizedTrace): string[] {
  const diffs: string[] = [];
  for (const dir of ['c2s', 's2c'] as const) {
    const labels = new Set([...Object.keys(golden[dir]), ...Object.keys(ours[dir])]);
    for (const label of [...labels].sort()) {
      const g = golden[dir][label] ?? [];
      const o = ours[dir][label] ?? [];
      const name = (e: TraceEntry) => [e.packet, e.stream === 'PromptResponse' ? e.stream : undefined, e.message].filter(Boolean).join(' ');
      const gs = g.map(name);
      const os = o.map(name);
      if (gs.join() !== os.join()) {
        diffs.push(`${dir} ${label} sequence: golden [${gs.join(', ')}], ours [${os.join(', ')}]`);
        continue;
      }
      g.forEach((ge, i) => {
        const oe = o[i]!;
        const where = `${dir} ${label} #${i} ${name(ge)}`;
        for (const f of ['destination', 'rpid', 'pid'] as const) {
          if (ge[f] !== oe[f]) diffs.push(`${where} ${f}: golden ${ge[f]}, ours ${oe[f]}`);
        }
        diffs.push(...diffBodies(ge.body ?? {}, oe.body ?? {}).map((d) => `${where} ${d}`));
      });
    }
  }
  for (const label of [...new Set([...Object.keys(golden.acks), ...Object.keys(ours.acks)])].sort()) {
    // The server acknowledges from its own threads: the kinds come in any order.
    const sorted = (a: Record<string, number> | undefined) => JSON.stringify(Object.fromEntries(Object.entries(a ?? {}).sort()));
    const g = sorted(golden.acks[label]);
    const o = sorted(ours.acks[label]);
    if (g !== o) diffs.push(`acks ${label}: golden ${g}, ours ${o}`);
  }
  return diffs;
}

/** Path differences; a subtree that only one side has is one entry (its leaf count). */
function diffBodies(g: Record<string, string>, o: Record<string, string>): string[] {
  const out: string[] = [];
  const reported = new Set<string>();
  const has = (side: Record<string, string>, prefix: string) =>
    Object.keys(side).some((k) => k === prefix || k.startsWith(`${prefix}/`) || k.startsWith(`${prefix}@`));
  const count = (side: Record<string, string>, prefix: string) =>
    Object.keys(side).filter((k) => k === prefix || k.startsWith(`${prefix}/`) || k.startsWith(`${prefix}@`)).length;
  for (const path of [...new Set([...Object.keys(g), ...Object.keys(o)])].sort()) {
    if (g[path] === o[path]) continue;
    if (g[path] !== undefined && o[path] !== undefined) {
      out.push(`${path}: golden ${g[path]}, ours ${o[path]}`);
      continue;
    }
    const [present, absent] = g[path] !== undefined ? [g, o] : [o, g];
    // The highest ancestor the other side has nothing under.
    const base = path.split('@')[0]!;
    const parts = base.split('/');
    let top = path;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (prefix !== '' && !has(absent, prefix)) {
        top = prefix;
        break;
      }
    }
    if (reported.has(top)) continue;
    reported.add(top);
    const n = top === path ? undefined : count(present, top);
    const shown = n === undefined ? present[path]! : `(${n} entries)`;
    out.push(present === g ? `${top}: golden ${shown}, ours (absent)` : `${top}: golden (absent), ours ${shown}`);
  }
  return out;
}

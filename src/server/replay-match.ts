// Strict matching of a live request against the recorded one it was paired
// with, so that a test whose client changed says what changed instead of
// getting an answer to another question. Compared, in this order: WSMan action,
// resource URI, selectors (ids mapped), options both requests carry, the PSRP
// message types, and the fields that carry the user's intent: the commands of
// CREATE_PIPELINE (script text, IsScript, parameters), pipeline input, host
// responses; for WinRS the command line and stdin. Ids, keys, timestamps, the
// signal a client cleans up with (terminate or ctrl_c) and console options
// are not compared: they differ by design between clients and runs.

import { attribute, childElement, childElements, parseXml, textContent, type XmlElement } from '../util/xml.js';
import { NS, POWERSHELL_RESOURCE_PREFIX } from '../wsman/namespaces.js';
import { EnvelopeDecoder } from '../wsman/decode.js';
import { psrpHeadersOf } from './replay-ids.js';

// How a client presents a console to the command, not what it runs: every client
// picks its own (psremote FALSE/65001, pypsrp TRUE/437) and the answer is the recording's anyway.
const PRESENTATION_OPTIONS = new Set(['WINRS_CONSOLEMODE_STDIN', 'WINRS_CODEPAGE']);

export type MatchMode = 'strict' | 'lenient';

interface Parts {
  readonly action: string;
  readonly resourceUri: string;
  readonly selectors: ReadonlyMap<string, string>;
  readonly options: ReadonlyMap<string, string>;
  readonly root: XmlElement;
}

function parts(xml: string): Parts {
  const root = parseXml(xml, { where: 'request' });
  const header = childElement(root, NS.soap, 'Header');
  const h = (ns: string, local: string) => {
    const el = header && childElement(header, ns, local);
    return el ? textContent(el).trim() : '';
  };
  const selectors = new Map<string, string>();
  const sel = header && childElement(header, NS.wsman, 'SelectorSet');
  for (const s of sel ? childElements(sel, NS.wsman, 'Selector') : []) selectors.set(attribute(s, 'Name') ?? '', textContent(s).trim());
  const options = new Map<string, string>();
  const opt = header && childElement(header, NS.wsman, 'OptionSet');
  for (const o of opt ? childElements(opt, NS.wsman, 'Option') : []) options.set(attribute(o, 'Name') ?? '', textContent(o).trim());
  return { action: h(NS.addressing, 'Action'), resourceUri: h(NS.wsman, 'ResourceURI'), selectors, options, root };
}

const show = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
};

interface Intent {
  readonly what: string;
  readonly value: unknown;
}

// The user's intent in each PSRP message, by type; other types are compared by type only.
function psrpIntents(xml: string): Intent[] {
  let decoded;
  try {
    decoded = new EnvelopeDecoder().decode(xml);
  } catch {
    return [];
  }
  const out: Intent[] = [];
  for (const m of decoded.psrp) {
    const data = m.data as Record<string, unknown> | null;
    if (m.type === 'CREATE_PIPELINE') {
      const cmds = ((data?.PowerShell as Record<string, unknown> | undefined)?.Cmds as Record<string, unknown>[] | undefined) ?? [];
      cmds.forEach((c, i) => {
        const n = cmds.length > 1 ? ` ${i + 1}` : '';
        out.push({ what: `CREATE_PIPELINE command${n} text`, value: c.Cmd });
        out.push({ what: `CREATE_PIPELINE command${n} IsScript`, value: c.IsScript });
        out.push({ what: `CREATE_PIPELINE command${n} parameters`, value: c.Args ?? [] });
      });
    } else if (m.type === 'PIPELINE_INPUT') out.push({ what: 'PIPELINE_INPUT object', value: m.data });
    else if (m.type === 'PIPELINE_HOST_RESPONSE' || m.type === 'RUNSPACEPOOL_HOST_RESPONSE') {
      out.push({ what: `${m.type} method`, value: data?.mi });
      out.push({ what: `${m.type} result`, value: data?.mr });
    }
  }
  return out;
}

function winrsIntents(root: XmlElement): Intent[] {
  const body = childElement(root, NS.soap, 'Body');
  const out: Intent[] = [];
  for (const el of body ? childElements(body, NS.shell) : []) {
    if (el.local === 'CommandLine') {
      // The server joins Command and Arguments with spaces (pywinrm sends all arguments in one element).
      const cmd = childElement(el, NS.shell, 'Command');
      const words = [cmd ? textContent(cmd).trim() : '', ...childElements(el, NS.shell, 'Arguments').map((a) => textContent(a))];
      out.push({ what: 'command line', value: words.join(' ') });
    }
    if (el.local === 'Send') {
      for (const s of childElements(el, NS.shell, 'Stream')) out.push({ what: `${attribute(s, 'Name') ?? 'stream'} data`, value: Buffer.from(textContent(s).trim(), 'base64').toString('utf8') });
    }
  }
  return out;
}

/**
 * The first difference between a live request and the recorded one, or
 * undefined when they ask the same. `toRecorded` maps a live id to the recorded one.
 */
export function firstDifference(live: string, recorded: string, toRecorded: (id: string) => string | undefined): string | undefined {
  let a: Parts;
  let b: Parts;
  try {
    a = parts(live);
    b = parts(recorded);
  } catch (e) {
    return `cannot compare: ${(e as Error).message}`;
  }
  if (a.action !== b.action) return `action: sent ${show(a.action)}, recorded ${show(b.action)}`;
  if (a.resourceUri !== b.resourceUri) return `resource URI: sent ${show(a.resourceUri)}, recorded ${show(b.resourceUri)}`;
  const names = new Set([...a.selectors.keys(), ...b.selectors.keys()]);
  for (const n of names) {
    const sent = a.selectors.get(n);
    const mapped = sent === undefined ? undefined : (toRecorded(sent) ?? sent);
    const rec = b.selectors.get(n);
    if (mapped?.toUpperCase() !== rec?.toUpperCase()) return `selector ${n}: sent ${show(sent ?? '(none)')}, recorded ${show(rec ?? '(none)')}`;
  }
  // Options are compared where both carry them: clients differ in which they send.
  for (const [n, v] of a.options) {
    const rec = b.options.get(n);
    if (PRESENTATION_OPTIONS.has(n.toUpperCase())) continue;
    if (rec !== undefined && rec.toUpperCase() !== v.toUpperCase()) return `option ${n}: sent ${show(v)}, recorded ${show(rec)}`;
  }
  if (a.resourceUri.startsWith(POWERSHELL_RESOURCE_PREFIX)) {
    const sentTypes = psrpHeadersOf(live).map((h) => h.type);
    const recTypes = psrpHeadersOf(recorded).map((h) => h.type);
    if (sentTypes.join(',') !== recTypes.join(',')) return `PSRP messages: sent [${sentTypes.join(', ')}], recorded [${recTypes.join(', ')}]`;
    return compareIntents(psrpIntents(live), psrpIntents(recorded));
  }
  return compareIntents(winrsIntents(a.root), winrsIntents(b.root));
}

function compareIntents(sent: Intent[], rec: Intent[]): string | undefined {
  for (let i = 0; i < Math.max(sent.length, rec.length); i++) {
    const s = sent[i];
    const r = rec[i];
    if (!s || !r || s.what !== r.what) return `${(s ?? r)!.what}: sent ${s ? show(s.value) : '(nothing)'}, recorded ${r ? show(r.value) : '(nothing)'}`;
    if (JSON.stringify(s.value) !== JSON.stringify(r.value)) return `${s.what}: sent ${show(s.value)}, recorded ${show(r.value)}`;
  }
  return undefined;
}

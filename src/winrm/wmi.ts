// WMI over WS-Management: WQL queries (Enumerate + Pull until EndOfSequence),
// Get of one instance by key, and method invocation (MS-WSMV 3.1.4.8-3.1.4.9
// and the WMI plug-in's resource URIs `…/wsman/1/wmi/<namespace>/<class>`).
// Records come back as plain objects: properties by name, `null` for xsi:nil,
// arrays for repeated elements, nested objects for embedded instances.

import { LimitError, RemoteProtocolError, UsageError } from '../errors.js';
import { attribute, childElements, escapeXmlAttr, escapeXmlText, textContent, type XmlElement } from '../util/xml.js';
import { NS, RESOURCE, type Selector } from '../wsman/index.js';
import { resolveTarget, type ConnectOptions, type Target } from './target.js';
import type { CallOptions } from './wsman-client.js';

export type WmiValue = string | null | WmiValue[] | { readonly [name: string]: WmiValue };

export interface WmiRecord {
  /** Element name of the instance (the WMI class, e.g. `Win32_Service`), or `XmlFragment` for projected queries. */
  readonly className: string;
  readonly properties: Readonly<Record<string, WmiValue>>;
}

export interface WmiOptions extends CallOptions, ConnectOptions {
  /** WMI namespace (default `root/cimv2`); backslashes are accepted. */
  readonly namespace?: string;
}

export interface WmiQueryOptions extends WmiOptions {
  /** Items per Enumerate/Pull response (default 32). */
  readonly maxElements?: number;
}

const MAX_DEPTH = 32;

function valueOf(el: XmlElement, depth: number): WmiValue {
  if (attribute(el, 'nil', NS.xsi) === 'true') return null;
  const kids = childElements(el);
  if (kids.length === 0) return textContent(el);
  if (depth >= MAX_DEPTH) throw new LimitError('WMI record nesting depth', MAX_DEPTH, depth + 1, 'WMI record');
  // A datetime or interval wrapper (`cim:Datetime`, `cim:Interval`) stands for its text.
  if (kids.length === 1 && kids[0]!.ns === NS.cim) return textContent(kids[0]!);
  return propertiesOf(el, depth + 1);
}

function propertiesOf(el: XmlElement, depth: number): Record<string, WmiValue> {
  // WMI writes an array property as the element repeated; a one-element array
  // is indistinguishable from a scalar on the wire.
  const byName = new Map<string, WmiValue[]>();
  for (const child of childElements(el)) {
    const list = byName.get(child.local);
    if (list) list.push(valueOf(child, depth));
    else byName.set(child.local, [valueOf(child, depth)]);
  }
  const out: Record<string, WmiValue> = {};
  for (const [name, values] of byName) out[name] = values.length === 1 ? values[0]! : values;
  return out;
}

/** One enumerated or fetched WMI instance as a record. */
export function wmiRecord(el: XmlElement): WmiRecord {
  return { className: el.local, properties: propertiesOf(el, 0) };
}

function namespaceOf(o: WmiOptions): string {
  const ns = (o.namespace ?? 'root/cimv2').replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  if (!/^[\w/]+$/.test(ns)) throw new UsageError(`invalid WMI namespace "${o.namespace}"`);
  return ns;
}

/** Runs a WQL query; yields records as Pull responses arrive. */
export async function* wmiQuery(target: Target, wql: string, options: WmiQueryOptions = {}): AsyncGenerator<WmiRecord> {
  if (!wql.trim()) throw new UsageError('empty WQL query');
  const { client, owned } = resolveTarget(target, options);
  try {
    const resourceUri = RESOURCE.wmi(namespaceOf(options), '*');
    const call = { ...(options.signal ? { signal: options.signal } : {}), ...(options.operationTimeoutMs ? { operationTimeoutMs: options.operationTimeoutMs } : {}) };
    for await (const item of client.enumerateAll(resourceUri, { wql }, { ...call, maxElements: options.maxElements ?? 32 })) {
      yield wmiRecord(item);
    }
  } finally {
    if (owned) await client.close();
  }
}

/** Gets one instance by its key properties (`{ Name: 'WinRM' }` for Win32_Service). */
export async function wmiGet(target: Target, className: string, keys: Readonly<Record<string, string>>, options: WmiOptions = {}): Promise<WmiRecord> {
  const { client, owned } = resolveTarget(target, options);
  try {
    const env = await client.get(RESOURCE.wmi(namespaceOf(options), className), selectorsOf(keys), options);
    const inst = childElements(env.body)[0];
    // The server's answer, not the caller's request, is wrong here.
    if (!inst) throw new RemoteProtocolError('PSR_WSMAN_INVALID', `Get of ${className} returned an empty body`, { where: 'Body' });
    return wmiRecord(inst);
  } finally {
    if (owned) await client.close();
  }
}

/**
 * Calls a WMI method (`Win32_Service.StopService`, `Win32_Process.Create`).
 * Static methods take no keys. Returns the `<Method>_OUTPUT` properties,
 * including `ReturnValue`.
 */
export async function wmiInvoke(
  target: Target,
  className: string,
  method: string,
  keys: Readonly<Record<string, string>>,
  params: Readonly<Record<string, string | readonly string[]>> = {},
  options: WmiOptions = {},
): Promise<Readonly<Record<string, WmiValue>>> {
  if (!/^\w+$/.test(method)) throw new UsageError(`invalid WMI method name "${method}"`);
  const { client, owned } = resolveTarget(target, options);
  try {
    const resourceUri = RESOURCE.wmi(namespaceOf(options), className);
    let input = `<p:${method}_INPUT xmlns:p="${escapeXmlAttr(resourceUri)}">`;
    for (const [name, value] of Object.entries(params)) {
      if (!/^\w+$/.test(name)) throw new UsageError(`invalid WMI parameter name "${name}"`);
      for (const v of typeof value === 'string' ? [value] : value) input += `<p:${name}>${escapeXmlText(v)}</p:${name}>`;
    }
    input += `</p:${method}_INPUT>`;
    const env = await client.invoke(resourceUri, method, selectorsOf(keys), input, options);
    const out = childElements(env.body)[0];
    if (!out) throw new RemoteProtocolError('PSR_WSMAN_INVALID', `${className}.${method} returned an empty body`, { where: 'Body' });
    return propertiesOf(out, 0);
  } finally {
    if (owned) await client.close();
  }
}

function selectorsOf(keys: Readonly<Record<string, string>>): Selector[] {
  return Object.entries(keys).map(([name, value]) => ({ name, value }));
}

// `invoke`'s default output: what PowerShell's console would print. On a real
// PowerShell the remote side formats (its Format-Table/List/Wide views, the
// type's format data, $FormatEnumerationLimit), through the wrapper below at the
// terminal's width. Where the remote side cannot (psremote's scripted engine, a
// host without Out-String, a JEA endpoint in NoLanguage mode) the objects come
// back whole and LocalView lays them out as PowerShell does for a type without
// format data: fewer than 5 properties a table, else a list; collections in a
// property shown as `{a, b, c, d…}` (the default $FormatEnumerationLimit, 4).

import { toDisplayString } from '../clixml/display.js';
import { PSObject, PSPropertySet, type PSMember, type PSValue } from '../clixml/values.js';
import { quote } from './shell/remote.js';

/** PowerShell's default $FormatEnumerationLimit. */
export const FORMAT_ENUMERATION_LIMIT = 4;

/** The width Out-String renders at: the terminal's less one column (no autowrap at the edge), else COLUMNS, else 120 (PowerShell's width without a console). */
export function outputWidth(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): number {
  const columns = (stream as NodeJS.WriteStream).isTTY ? (stream as NodeJS.WriteStream).columns : undefined;
  if (columns && columns > 0) return Math.max(20, columns - 1);
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv >= 20 && fromEnv <= 4096) return fromEnv;
  return 120;
}

/**
 * The script run for `invoke -c SCRIPT` in the default view: dot-sourced (a named
 * session keeps its variables and functions, as Invoke-Command -Session does),
 * made from the text so error positions are those of what the user wrote, output
 * through Out-String at `width`. Errors stay on the error stream (printed one
 * line each on stderr, error-view.ts).
 */
export function formattedScript(script: string, width: number): string {
  return `. ([scriptblock]::Create(${quote(script)})) | Out-String -Stream -Width ${width}`;
}

type Cell = { text: string; number: boolean };

function isNumber(v: PSValue): boolean {
  return typeof v === 'number' || typeof v === 'bigint' || (v instanceof PSObject && !v.isEnum && (typeof v.value === 'number' || typeof v.value === 'bigint'));
}

/** A property value as a table or list cell: collections as `{a, b…}` up to the enumeration limit. */
export function cellText(v: PSMember | undefined): string {
  if (v === undefined || v === null) return '';
  if (v instanceof PSPropertySet) return `{${[...v.properties.keys()].join(', ')}}`;
  if (v instanceof PSObject && (v.list !== undefined || v.dict !== undefined)) {
    const items = v.list ?? (v.dict ?? []).map(([k, x]) => `[${toDisplayString(k)}, ${toDisplayString(x)}]`);
    const shown = items.slice(0, FORMAT_ENUMERATION_LIMIT).map((x) => (typeof x === 'string' ? x : text(x)));
    return `{${shown.join(', ')}${items.length > FORMAT_ENUMERATION_LIMIT ? '…' : ''}}`;
  }
  return oneLine(text(v as PSValue));
}

const oneLine = (s: string) => s.replace(/\r?\n/g, ' ');

/** A scalar as PowerShell prints it (booleans are True/False). */
function text(v: PSValue): string {
  return typeof v === 'boolean' ? (v ? 'True' : 'False') : toDisplayString(v);
}

/** The properties an object is shown with (extended first, as PowerShell lists note properties of a PSCustomObject; adapted after). */
function properties(o: PSObject): [string, PSMember][] {
  const out = new Map<string, PSMember>();
  for (const [k, v] of o.adapted) out.set(k, v);
  for (const [k, v] of o.extended) if (!(v instanceof PSPropertySet)) out.set(k, v);
  return [...out];
}

type Shape = { key: string; names: string[] };

function shapeOf(v: PSValue): Shape | undefined {
  if (!(v instanceof PSObject)) return undefined;
  if (v.dict !== undefined) return { key: '\0dict', names: ['Name', 'Value'] };
  if (v.list !== undefined || v.isEnum) return undefined;
  const props = properties(v);
  if (props.length === 0) return undefined;
  const names = props.map(([k]) => k);
  return { key: `${v.typeNames?.[0] ?? ''}\0${names.join('\0')}`, names };
}

function truncate(s: string, width: number): string {
  if (s.length <= width) return s;
  return width <= 1 ? '…'.slice(0, width) : `${s.slice(0, width - 1)}…`;
}

/** Lays out output objects as PowerShell's default view for types without format data. */
export class LocalView {
  readonly #width: number;
  #table: { shape: Shape; rows: Cell[][]; widths?: number[] } | undefined;

  constructor(width: number) {
    this.#width = width;
  }

  /** Lines to print now for one output object (a table's rows are held until its widths are known). */
  push(v: PSValue): string[] {
    if (v instanceof PSObject && v.list !== undefined && !v.isEnum) return v.list.flatMap((x) => this.push(x));
    const shape = shapeOf(v);
    const out: string[] = [];
    if (!shape || shape.key !== this.#table?.shape.key) out.push(...this.#endTable());
    // $null prints nothing, as in PowerShell.
    if (v === null || v === undefined) return out;
    if (!shape) return [...out, ...text(v).split(/\r?\n/)];
    const o = v as PSObject;
    if (o.dict !== undefined) {
      this.#table ??= { shape, rows: [] };
      for (const [k, x] of o.dict) this.#row([{ text: cellText(k), number: false }, { text: cellText(x), number: isNumber(x) }], out);
      return out;
    }
    const props = properties(o);
    if (props.length >= 5) return [...out, ...this.#list(props)];
    this.#table ??= { shape, rows: [] };
    this.#row(props.map(([, x]) => ({ text: cellText(x), number: isNumber(x as PSValue) })), out);
    return out;
  }

  /** Whatever is still held. */
  end(): string[] {
    return this.#endTable();
  }

  #row(cells: Cell[], out: string[]): void {
    const t = this.#table!;
    if (t.widths) out.push(this.#line(cells, t.widths));
    else {
      t.rows.push(cells);
      // Widths from the first rows, as PowerShell's table waits for the first objects; then stream.
      if (t.rows.length >= 50) out.push(...this.#flush());
    }
  }

  #flush(): string[] {
    const t = this.#table!;
    const n = t.shape.names.length;
    const want = t.shape.names.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i]?.text.length ?? 0)));
    // Columns are separated by one space; the last one takes what is left of the width.
    const widths = want.map((w, i) => (i === n - 1 ? Math.max(1, Math.min(w, this.#width - want.slice(0, -1).reduce((a, b) => a + b + 1, 0))) : w));
    t.widths = widths;
    const header = t.shape.names.map((h) => ({ text: h, number: false }));
    const numeric = t.shape.names.map((_, i) => t.rows.length > 0 && t.rows.every((r) => r[i]?.number || r[i]?.text === ''));
    const dashes = t.shape.names.map((h) => ({ text: '-'.repeat(h.length), number: false }));
    const align = (cells: Cell[]) => cells.map((c, i) => ({ ...c, number: numeric[i] ?? false }));
    const lines = ['', this.#line(align(header), widths), this.#line(align(dashes), widths), ...t.rows.map((r) => this.#line(r, widths))];
    t.rows = [];
    return lines;
  }

  #endTable(): string[] {
    if (!this.#table) return [];
    const lines = this.#table.widths ? [] : this.#flush();
    this.#table = undefined;
    return [...lines, ''];
  }

  #line(cells: Cell[], widths: number[]): string {
    const parts = widths.map((w, i) => {
      const text = truncate(cells[i]?.text ?? '', w);
      return cells[i]?.number ? text.padStart(w) : text.padEnd(w);
    });
    return truncate(parts.join(' ').trimEnd(), this.#width);
  }

  #list(props: [string, PSMember][]): string[] {
    const pad = Math.max(...props.map(([k]) => k.length));
    const room = Math.max(1, this.#width - pad - 3);
    return ['', ...props.map(([k, x]) => `${k.padEnd(pad)} : ${truncate(cellText(x), room)}`), ''];
  }
}

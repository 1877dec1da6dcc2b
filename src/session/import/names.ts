// How PowerShell names become TypeScript names (docs/import-session.md has the
// table). Commands: `Verb-Noun` → `verbNoun` in camelCase, with
// Import-PSSession's -Prefix inserted before the noun as PowerShell does
// (`Get-ChildItem` with prefix `Remote` → `Get-RemoteChildItem` →
// `getRemoteChildItem`). Parameters: PascalCase → camelCase; PowerShell matches
// parameter names case-insensitively, so two parameters of one command can never
// collide after this. Property keys may be reserved words in JavaScript
// (`{ default: 1 }` is valid), so only function names need escaping.

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements ' +
    'interface package private protected public await arguments eval undefined NaN Infinity'
  ).split(' '),
);

/** Words of a PowerShell name: split on non-alphanumerics and on case changes (`GetADUser` → Get, AD, User). */
function words(name: string): string[] {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .flatMap((part) => part.match(/\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{N}+|[^\p{Lu}\p{Ll}\p{N}]+/gu) ?? [part]);
}

function camel(ws: readonly string[]): string {
  return ws.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase())).join('');
}

/** The command name Import-PSSession -Prefix gives (`Get-ChildItem` + `Remote` → `Get-RemoteChildItem`). */
export function prefixedCommandName(name: string, prefix: string | undefined): string {
  if (!prefix) return name;
  const dash = name.indexOf('-');
  return dash > 0 ? `${name.slice(0, dash + 1)}${prefix}${name.slice(dash + 1)}` : `${prefix}${name}`;
}

/** A valid JavaScript identifier for a command: camelCase, never a reserved word, never starting with a digit. */
export function functionName(commandName: string, prefix?: string): string {
  let id = camel(words(prefixedCommandName(commandName, prefix)));
  if (id === '') id = 'command';
  if (/^\p{N}/u.test(id)) id = `_${id}`;
  if (RESERVED.has(id)) id = `${id}_`;
  return id;
}

/** The option name of a parameter (`LiteralPath` → `literalPath`). */
export function parameterName(name: string): string {
  const id = camel(words(name));
  return id === '' ? name : id;
}

/** Unique function names for a list of commands: a collision gets `_2`, `_3` in list order. */
export function functionNames(commandNames: readonly string[], prefix?: string): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const c of commandNames) {
    const base = functionName(c, prefix);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    out.set(c, id);
  }
  return out;
}

/** A TypeScript property key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(name: string): string {
  return /^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(name) ? name : JSON.stringify(name);
}

// What Import-PSSession learns about the remote commands before it writes its
// proxies. Two sources, as PowerShell's implicit remoting has:
//  - GET_COMMAND_METADATA (MS-PSRP 2.2.2.14): names, modules, parameter names,
//    .NET types, aliases, switches. Every endpoint answers it, JEA and
//    NoLanguage ones included, but it carries no parameter sets, no mandatory
//    flags, no positions and no pipeline binding.
//  - Where the endpoint runs scripts (FullLanguage), one script that asks
//    Get-Command for the parameter sets and the enums' names and Get-Help for
//    the synopsis, answered as JSON text: the remoting serializer's default
//    depth (1) would flatten the nested parameter sets to strings.
// Without the second, every parameter is optional and the server does the
// binding checks.

import { RemoteProtocolError } from '../../errors.js';
import type { PSValue } from '../../psrp/index.js';
import type { CommandMetadata } from '../command-metadata.js';
import { toPlain } from '../../clixml/plain.js';
import { parameterName } from './names.js';

export interface ParameterSetBinding {
  readonly set: string;
  readonly mandatory: boolean;
  /** Position for positional binding; null when named only. */
  readonly position: number | null;
  readonly fromPipeline: boolean;
  readonly fromPipelineByPropertyName: boolean;
}

export interface ImportedParameter {
  /** The PowerShell name. */
  readonly name: string;
  /** The option name proxies take (`LiteralPath` → `literalPath`). */
  readonly option: string;
  /** .NET type name as the server reports it. */
  readonly type: string;
  readonly aliases: readonly string[];
  readonly isSwitch: boolean;
  /** Names of the parameter's enum type, when the server told them. */
  readonly enumValues?: readonly string[];
  /** The parameter sets it belongs to; empty when unknown (metadata only). */
  readonly sets: readonly ParameterSetBinding[];
}

export interface ImportedCommand {
  readonly name: string;
  readonly module: string;
  /** CommandTypes: Alias 1, Function 2, Filter 4, Cmdlet 8, … */
  readonly commandType: number;
  readonly outputType: readonly string[];
  readonly parameters: readonly ImportedParameter[];
  /** Parameter sets and which is the default; null when the endpoint would not say (metadata only). */
  readonly parameterSets: readonly { readonly name: string; readonly isDefault: boolean }[] | null;
  readonly synopsis: string | null;
}

/** The commands every restricted (RestrictedRemoteServer/JEA) endpoint exposes for remoting itself: not proxied unless named. */
export const REMOTING_INFRASTRUCTURE = ['Clear-Host', 'Exit-PSSession', 'Get-Command', 'Get-FormatData', 'Get-Help', 'Measure-Object', 'Out-Default', 'Select-Object'];

export const ENRICH_SCRIPT = `param([string[]]$Names)
foreach ($c in @(Get-Command -Name $Names -ErrorAction SilentlyContinue)) {
  $sets = @(foreach ($s in $c.ParameterSets) {
    @{ Name = $s.Name; IsDefault = [bool]$s.IsDefault; Parameters = @(foreach ($p in $s.Parameters) {
      @{ Name = $p.Name; IsMandatory = [bool]$p.IsMandatory; Position = [int]$p.Position; ValueFromPipeline = [bool]$p.ValueFromPipeline; ValueFromPipelineByPropertyName = [bool]$p.ValueFromPipelineByPropertyName }
    }) }
  })
  $enums = @{}
  foreach ($p in @($c.Parameters.Values)) {
    $t = $p.ParameterType
    if ($t.IsArray) { $t = $t.GetElementType() }
    $u = [Nullable]::GetUnderlyingType($t)
    if ($u) { $t = $u }
    if ($t.IsEnum) { $enums[$p.Name] = @([enum]::GetNames($t)) }
  }
  $synopsis = $null
  try {
    $h = Get-Help -Name $c.Name -ErrorAction Stop
    if ($h -and $h.Synopsis) { $synopsis = ([string]$h.Synopsis).Trim() }
  } catch { }
  ConvertTo-Json -Compress -Depth 6 -InputObject @{ Name = $c.Name; ParameterSets = $sets; Enums = $enums; Synopsis = $synopsis }
}`;

/** What the discovery script says of one command. */
export interface Enrichment {
  readonly Name: string;
  readonly ParameterSets: readonly { Name: string; IsDefault: boolean; Parameters: readonly { Name: string; IsMandatory: boolean; Position: number; ValueFromPipeline: boolean; ValueFromPipelineByPropertyName: boolean }[] }[];
  readonly Enums: Readonly<Record<string, readonly string[]>>;
  readonly Synopsis: string | null;
}

/** Reads the JSON lines the enrichment script writes; what is not one is a protocol error naming the command. */
export function readEnrichment(outputs: readonly PSValue[]): Map<string, Enrichment> {
  const out = new Map<string, Enrichment>();
  for (const [i, o] of outputs.entries()) {
    const text = toPlain(o);
    let parsed: unknown;
    try {
      parsed = typeof text === 'string' ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const e = parsed as Enrichment | undefined;
    if (!e || typeof e.Name !== 'string' || !Array.isArray(e.ParameterSets)) {
      throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `the command description ${i + 1} is not what the discovery script writes`, { where: 'import-session discovery' });
    }
    out.set(e.Name.toLowerCase(), e);
  }
  return out;
}

/** A command with what GET_COMMAND_METADATA said and, when there is one, the enrichment. */
export function importedCommand(meta: CommandMetadata, more: Enrichment | undefined): ImportedCommand {
  const sets = new Map<string, ParameterSetBinding[]>();
  for (const s of more?.ParameterSets ?? []) {
    for (const p of s.Parameters ?? []) {
      const list = sets.get(p.Name.toLowerCase()) ?? [];
      list.push({
        set: s.Name,
        mandatory: p.IsMandatory === true,
        position: typeof p.Position === 'number' && p.Position >= 0 ? p.Position : null,
        fromPipeline: p.ValueFromPipeline === true,
        fromPipelineByPropertyName: p.ValueFromPipelineByPropertyName === true,
      });
      sets.set(p.Name.toLowerCase(), list);
    }
  }
  const enums = new Map(Object.entries(more?.Enums ?? {}).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [String(v)]]));
  const parameters = Object.values(meta.parameters).map((p): ImportedParameter => {
    const ev = enums.get(p.name.toLowerCase());
    return {
      name: p.name,
      option: parameterName(p.name),
      type: p.parameterType,
      aliases: p.aliases,
      isSwitch: p.parameterType === 'System.Management.Automation.SwitchParameter',
      ...(ev && ev.length > 0 ? { enumValues: ev } : {}),
      sets: sets.get(p.name.toLowerCase()) ?? [],
    };
  });
  return {
    name: meta.name,
    module: meta.namespace,
    commandType: meta.commandType,
    outputType: meta.outputType,
    parameters,
    parameterSets: more ? more.ParameterSets.map((s) => ({ name: s.Name, isDefault: s.IsDefault === true })) : null,
    synopsis: more && typeof more.Synopsis === 'string' && more.Synopsis !== '' && !isSyntax(more.Synopsis, meta.name) ? more.Synopsis : null,
  };
}

/** Without help files Get-Help's synopsis is the syntax block: that is no synopsis. */
function isSyntax(synopsis: string, name: string): boolean {
  return synopsis.trimStart().toLowerCase().startsWith(name.toLowerCase());
}

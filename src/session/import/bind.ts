// The checks a proxy makes before it sends anything, so that a call the server
// would refuse fails here with the command's and the parameter's names: an
// unknown parameter, parameters of different parameter sets together, a
// mandatory parameter left out. PowerShell's binder has the last word on the
// server (types, validation attributes); where the endpoint would not describe
// its parameter sets (metadata only), only unknown names are checked.

import { PsRemoteError, type PsRemoteErrorOptions } from '../../errors.js';
import type { PSInput } from '../../clixml/index.js';
import type { ImportedCommand, ImportedParameter } from './discover.js';

/** A call to an imported command cannot bind: `command` and `parameter` say where. */
export class ParameterBindingError extends PsRemoteError {
  readonly command: string;
  readonly parameter: string | undefined;
  constructor(command: string, message: string, parameter?: string, options?: PsRemoteErrorOptions) {
    super('PSR_PARAMETER_BINDING', `${command}: ${message}`, options);
    this.command = command;
    this.parameter = parameter;
  }
}

/** The connected endpoint has no command of this name (it changed since the module was exported, or it hides it). */
export class CommandNotFoundError extends PsRemoteError {
  readonly command: string;
  constructor(command: string, where: string) {
    super('PSR_COMMAND_NOT_FOUND', `the endpoint has no command ${command} (${where})`);
    this.command = command;
  }
}

const ALL_SETS = '__AllParameterSets';

function lookup(command: ImportedCommand): Map<string, ImportedParameter> {
  const m = new Map<string, ImportedParameter>();
  for (const p of command.parameters) {
    m.set(p.option.toLowerCase(), p);
    m.set(p.name.toLowerCase(), p);
    for (const a of p.aliases) m.set(a.toLowerCase(), p);
  }
  return m;
}

/**
 * The named parameters to send, by their PowerShell names. Options may use the
 * proxy's names, PowerShell's or an alias; undefined values are left out, a
 * switch given `false` is sent as `-Switch:$false`.
 */
export function bindParameters(command: ImportedCommand, options: object, pipelineInput: boolean): Record<string, PSInput> {
  const byName = lookup(command);
  const bound = new Map<ImportedParameter, PSInput>();
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const p = byName.get(key.toLowerCase());
    if (!p) throw new ParameterBindingError(command.name, `it has no parameter '${key}'`, key);
    if (bound.has(p)) throw new ParameterBindingError(command.name, `the parameter ${p.name} is given twice (as '${key}' too)`, p.name);
    if (p.isSwitch && typeof value !== 'boolean') throw new ParameterBindingError(command.name, `the switch ${p.name} takes true or false`, p.name);
    bound.set(p, value as PSInput);
  }
  if (command.parameterSets) checkSets(command, [...bound.keys()], pipelineInput);
  return Object.fromEntries([...bound].map(([p, v]) => [p.name, v]));
}

function checkSets(command: ImportedCommand, given: readonly ImportedParameter[], pipelineInput: boolean): void {
  const sets = command.parameterSets!.map((s) => s.name).filter((s) => s !== ALL_SETS);
  const names = sets.length > 0 ? sets : [ALL_SETS];
  const inSet = (p: ImportedParameter, set: string) => p.sets.some((b) => b.set === set || b.set === ALL_SETS);
  const candidates = names.filter((set) => given.every((p) => p.sets.length === 0 || inSet(p, set)));
  if (candidates.length === 0) {
    throw new ParameterBindingError(command.name, `the parameters ${given.map((p) => p.name).join(', ')} are not in one parameter set`);
  }
  const missing = (set: string) =>
    command.parameters.filter((p) => {
      const b = p.sets.find((x) => x.set === set) ?? p.sets.find((x) => x.set === ALL_SETS);
      if (!b?.mandatory || given.includes(p)) return false;
      return !(pipelineInput && (b.fromPipeline || b.fromPipelineByPropertyName));
    });
  if (candidates.some((set) => missing(set).length === 0)) return;
  const preferred = candidates.find((s) => command.parameterSets!.some((x) => x.name === s && x.isDefault)) ?? candidates[0]!;
  const lack = missing(preferred);
  throw new ParameterBindingError(
    command.name,
    `the mandatory parameter${lack.length > 1 ? 's' : ''} ${lack.map((p) => `${p.name} (${p.option})`).join(', ')} ${lack.length > 1 ? 'are' : 'is'} missing${preferred === ALL_SETS ? '' : ` (parameter set ${preferred})`}`,
    lack[0]!.name,
  );
}

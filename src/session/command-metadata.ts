// Get-Command on the remote side (GET_COMMAND_METADATA, MS-PSRP 2.2.2.14 and
// 3.1.4.5): what Import-PSSession and Export-PSSession build their proxy
// functions from. The server answers a count first, then one CommandMetadata
// object per command (MS-PSRP 2.2.3.21), then the pipeline state.

import { randomUUID } from 'node:crypto';
import { RemoteProtocolError } from '../errors.js';
import { ClientGetCommandMetadata, type ClientRunspacePool, type PSValue } from '../psrp/index.js';
import type { PSInput } from '../clixml/index.js';
import { toPlain } from '../clixml/plain.js';

export interface ParameterMetadata {
  readonly name: string;
  /** .NET type name, e.g. System.String, System.Management.Automation.SwitchParameter. */
  readonly parameterType: string;
  readonly aliases: readonly string[];
  readonly isDynamic: boolean;
  /** Parameter sets the parameter belongs to, as the server describes them. */
  readonly parameterSets: unknown;
}

export interface CommandMetadata {
  readonly name: string;
  /** Module (for a cmdlet or function) the command comes from. */
  readonly namespace: string;
  readonly helpUri: string | null;
  /** CommandTypes flags: Alias 1, Function 2, Filter 4, Cmdlet 8, … */
  readonly commandType: number;
  readonly resolvedCommandName: string | null;
  readonly outputType: readonly string[];
  readonly parameters: Readonly<Record<string, ParameterMetadata>>;
  /** The CLIXML value as received. */
  readonly value: PSValue;
}

type Plain = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function parameter(name: string, p: unknown): ParameterMetadata {
  const o = (p && typeof p === 'object' ? p : {}) as Plain;
  return {
    name: str(o.Name) ?? name,
    parameterType: str(o.ParameterType) ?? 'System.Object',
    aliases: strs(o.Aliases),
    isDynamic: o.IsDynamic === true,
    parameterSets: o.ParameterSets ?? null,
  };
}

/** Reads the outputs of a GET_COMMAND_METADATA pipeline: the count, then the commands. */
export function readCommandMetadata(outputs: readonly PSValue[], where: string): CommandMetadata[] {
  if (outputs.length === 0) throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', 'GET_COMMAND_METADATA answered no count', { where });
  const head = toPlain(outputs[0]) as Plain | null;
  const count = head && typeof head === 'object' ? head.Count : undefined;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `GET_COMMAND_METADATA answered ${JSON.stringify(head)?.slice(0, 80)} instead of a count`, { where });
  }
  const rest = outputs.slice(1);
  if (rest.length !== count) {
    throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `the server announced ${count} commands and sent ${rest.length}`, { where });
  }
  return rest.map((value, i) => {
    const o = toPlain(value) as Plain | null;
    const name = o && typeof o === 'object' ? str(o.Name) : null;
    if (!o || !name) throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `command ${i + 1} has no Name`, { where });
    const params = o.Parameters && typeof o.Parameters === 'object' ? (o.Parameters as Plain) : {};
    return {
      name,
      namespace: str(o.Namespace) ?? '',
      helpUri: str(o.HelpUri),
      commandType: typeof o.CommandType === 'number' ? o.CommandType : 0,
      resolvedCommandName: str(o.ResolvedCommandName),
      outputType: strs(o.OutputType),
      parameters: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, parameter(k, v)])),
      value,
    };
  });
}

/** The GET_COMMAND_METADATA pipeline for RunspacePool.getCommandMetadata(query). */
export function commandMetadataPipeline(
  pool: ClientRunspacePool,
  query: { name?: readonly string[]; commandType?: number; namespace?: readonly string[]; argumentList?: readonly PSInput[]; pipelineId?: string },
): ClientGetCommandMetadata {
  return new ClientGetCommandMetadata(pool, {
    pipelineId: query.pipelineId ?? randomUUID(),
    ...(query.name ? { name: query.name } : {}),
    ...(query.commandType !== undefined ? { commandType: query.commandType } : {}),
    ...(query.namespace ? { namespace: query.namespace } : {}),
    ...(query.argumentList ? { argumentList: query.argumentList } : {}),
  });
}

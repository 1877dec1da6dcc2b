// Import-PSSession for TypeScript: the remote commands of a session as local
// functions. importSession() discovers at run time and returns proxies;
// export-session (codegen.ts) writes the same proxies as a typed module, which
// calls invokeImported() with the description it was generated from and checks
// once per session that the endpoint still has the command.

import type { PSInput } from '../../clixml/index.js';
import type { PSHost } from '../host/host.js';
import type { PowerShellInvocation } from '../powershell.js';
import { PipelineFailedError } from '../powershell.js';
import type { RunspacePool } from '../runspace-pool.js';
import { toPlain } from '../../clixml/plain.js';
import { bindParameters, CommandNotFoundError } from './bind.js';
import { ENRICH_SCRIPT, importedCommand, readEnrichment, REMOTING_INFRASTRUCTURE, type Enrichment, type ImportedCommand } from './discover.js';
import { functionNames } from './names.js';

export interface DiscoverOptions {
  /** Name patterns as Get-Command -Name takes them (wildcards); default every command. */
  readonly commands?: readonly string[];
  /** CommandTypes flags; default Function | Filter | Cmdlet (14), as aliases would repeat them. */
  readonly commandType?: number;
  /** Modules (Get-Command -Module) to take commands from. */
  readonly modules?: readonly string[];
  /** Use GET_COMMAND_METADATA only, as on a NoLanguage endpoint (also for replaying recordings of it). */
  readonly metadataOnly?: boolean;
  /** Pipeline id of the GET_COMMAND_METADATA call (replays need the recorded one). */
  readonly pipelineId?: string;
  readonly signal?: AbortSignal;
}

/** Where the commands came from: the header of an exported module. */
export interface SessionSource {
  readonly psVersion: string | null;
  readonly protocolVersion: string | null;
  /** FullLanguage when scripts ran; null when the endpoint refused them (NoLanguage, JEA). */
  readonly languageMode: string | null;
}

export interface Discovery {
  readonly commands: readonly ImportedCommand[];
  readonly source: SessionSource;
}

const hasWildcard = (p: string) => /[*?[]/.test(p);

/** Get-Command on the remote side, with parameter sets where the endpoint allows scripts. */
export async function discoverCommands(pool: RunspacePool, options: DiscoverOptions = {}): Promise<Discovery> {
  const patterns = options.commands && options.commands.length > 0 ? options.commands : ['*'];
  const metadata = await pool.getCommandMetadata({
    name: patterns,
    commandType: options.commandType ?? 14,
    ...(options.modules ? { namespace: options.modules } : {}),
    ...(options.pipelineId ? { pipelineId: options.pipelineId } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const named = new Set(patterns.filter((p) => !hasWildcard(p)).map((p) => p.toLowerCase()));
  const infra = new Set(REMOTING_INFRASTRUCTURE.map((c) => c.toLowerCase()));
  const seen = new Set<string>();
  const chosen = metadata.filter((m) => {
    const key = m.name.toLowerCase();
    if (seen.has(key) || (infra.has(key) && !named.has(key))) return false;
    seen.add(key);
    return true;
  });
  let languageMode: string | null = null;
  let enrichment = new Map<string, Enrichment>();
  if (!options.metadataOnly && chosen.length > 0) {
    try {
      const script = `& { ${ENRICH_SCRIPT} } -Names @(${chosen.map((c) => `'${c.name.replace(/'/g, "''")}'`).join(', ')})\n"LanguageMode:$($ExecutionContext.SessionState.LanguageMode)"`;
      const result = await pool.invoke(script, options.signal ? { signal: options.signal } : {}).result();
      const last = toPlain(result.output[result.output.length - 1] ?? null);
      if (typeof last === 'string' && last.startsWith('LanguageMode:')) languageMode = last.slice('LanguageMode:'.length);
      enrichment = readEnrichment(result.output.slice(0, -1));
    } catch (e) {
      if (!(e instanceof PipelineFailedError)) throw e;
      // The endpoint runs no scripts (NoLanguage, JEA): what GET_COMMAND_METADATA said is all there is.
    }
  }
  const plainData = toPlain(pool.applicationPrivateData) as { PSVersionTable?: { PSVersion?: unknown } } | null;
  const v = plainData?.PSVersionTable?.PSVersion;
  return {
    commands: chosen.map((m) => importedCommand(m, enrichment.get(m.name.toLowerCase()))),
    source: {
      psVersion: typeof v === 'string' ? v : v && typeof v === 'object' ? JSON.stringify(v) : null,
      protocolVersion: pool.serverProtocolVersion ?? null,
      languageMode,
    },
  };
}

export interface ImportedCallOptions {
  /** Pipeline input: objects bound by value or by property name, as `$x | Command`. */
  readonly input?: Iterable<PSInput> | AsyncIterable<PSInput>;
  readonly host?: PSHost;
  readonly signal?: AbortSignal;
}

/** A proxy: named parameters (the proxy's names, PowerShell's or aliases) in, the pipeline's invocation out. */
export type ImportedFunction = ((parameters?: object, options?: ImportedCallOptions) => Promise<PowerShellInvocation>) & {
  readonly command: ImportedCommand;
};

/** How a pool's commands were checked, per pool, so a generated module asks once. */
const verified = new WeakMap<RunspacePool, Map<string, Promise<void>>>();

function ensureCommand(pool: RunspacePool, name: string): Promise<void> {
  let m = verified.get(pool);
  if (!m) verified.set(pool, (m = new Map()));
  let p = m.get(name.toLowerCase());
  if (!p) {
    p = pool.getCommandMetadata({ name: [name], commandType: 511 }).then((found) => {
      if (!found.some((c) => c.name.toLowerCase() === name.toLowerCase())) throw new CommandNotFoundError(name, 'checked with Get-Command before the first call');
    });
    p.catch(() => m!.delete(name.toLowerCase()));
    m.set(name.toLowerCase(), p);
  }
  return p;
}

/**
 * Runs an imported command: binds and checks the parameters here, then invokes
 * it as a command (not a script, so it works on NoLanguage endpoints too).
 * With `verify`, the first call on a pool first checks the command exists there
 * (once per pool and command), so nothing is sent for a command that is gone.
 */
export async function invokeImported(
  pool: RunspacePool,
  command: ImportedCommand,
  parameters: object = {},
  options: ImportedCallOptions & { readonly verify?: boolean } = {},
): Promise<PowerShellInvocation> {
  const bound = bindParameters(command, parameters, options.input !== undefined);
  if (options.verify) await ensureCommand(pool, command.name);
  return pool.invoke(
    { command: command.name, parameters: bound },
    {
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
}

/** The check a generated module makes before its first call of a command. */
export async function verifyImported(pool: RunspacePool, commandName: string): Promise<void> {
  await ensureCommand(pool, commandName);
}

export interface ImportSessionOptions extends DiscoverOptions {
  /** Import-PSSession -Prefix: inserted before the noun (`Get-RemoteChildItem` → getRemoteChildItem). */
  readonly prefix?: string;
}

/** Import-PSSession: an object of proxy functions named as names.ts says, each carrying its command's description. */
export async function importSession(pool: RunspacePool, options: ImportSessionOptions = {}): Promise<Record<string, ImportedFunction> & { readonly $source: SessionSource }> {
  const { commands, source } = await discoverCommands(pool, options);
  const names = functionNames(
    commands.map((c) => c.name),
    options.prefix,
  );
  const out: Record<string, ImportedFunction> = {};
  for (const c of commands) {
    const f = ((parameters?: object, callOptions?: ImportedCallOptions) => invokeImported(pool, c, parameters, callOptions)) as ImportedFunction;
    Object.defineProperty(f, 'command', { value: c, enumerable: false });
    Object.defineProperty(f, 'name', { value: names.get(c.name)! });
    out[names.get(c.name)!] = f;
  }
  // Not enumerable: Object.keys() lists exactly the proxies.
  Object.defineProperty(out, '$source', { value: source, enumerable: false });
  return out as Record<string, ImportedFunction> & { readonly $source: SessionSource };
}

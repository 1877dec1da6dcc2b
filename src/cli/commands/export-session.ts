// `psremote export-session TARGET --out DIR`: Export-PSSession for TypeScript.
// Discovers the remote commands (GET_COMMAND_METADATA, and the parameter sets
// where the endpoint runs scripts) and writes DIR/index.ts, one typed function
// per command (docs/import-session.md).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openSession, type SessionOptions } from '../../session/open.js';
import { parseOutOfProcTarget, type Target } from '../../winrm/target.js';
import { discoverCommands } from '../../session/import/import-session.js';
import { generateModule } from '../../session/import/codegen.js';
import { UsageError } from '../../errors.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import { CONFIGURATION_NAME_OPTION } from '../command-options.js';
import type { CliIO } from '../io.js';
import { visibleText } from '../terminal-text.js';

interface ExportFlags extends ConnectionFlags {
  out: string;
  commands?: string[];
  module?: string[];
  moduleName?: string;
  prefix?: string;
  importFrom: string;
  configurationName: string;
  commandType?: string;
}

/** The target as the header names it: a URL without user or password. */
function displayTarget(target: string): string {
  try {
    const u = new URL(target);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return target;
  }
}

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('export-session')
    .description('write a TypeScript module of typed functions for the commands of a remote session (Export-PSSession)')
    .argument('<target>', 'host, URL, or exec:/unix:/ssh:// target')
    .requiredOption('--out <dir>', 'folder to write index.ts into (created when missing)')
    .option('--commands <pattern...>', 'command name patterns, as Get-Command -Name (default: all)')
    .option('--module <name...>', 'only commands of these modules')
    .option('--module-name <name>', 'name written in the header')
    .option('--prefix <prefix>', 'noun prefix, as Import-PSSession -Prefix (Get-ChildItem → getPrefixChildItem)')
    .option('--command-type <flags>', 'CommandTypes flags to export (default 14: functions, filters, cmdlets)')
    .option('--import-from <package>', 'package the module imports from', 'psremote')
    .option(...CONFIGURATION_NAME_OPTION)
    .addHelpText('after', '\nExamples:\n  psremote export-session http://server:5985/wsman -u admin --out ./remote --commands Get-Service Restart-Service\n  psremote export-session "exec:pwsh -s -NoLogo" --out ./local --commands Get-ChildItem Test-Path\n');
  addConnectionFlags(cmd).action(async (target: string, f: ExportFlags) => {
    let options: SessionOptions = {};
    let to: Target = target;
    if (!parseOutOfProcTarget(target)) {
      to = await connectionOptions(target, f, io);
      options = { configurationName: f.configurationName };
    }
    const commandType = f.commandType !== undefined ? Number(f.commandType) : undefined;
    if (commandType !== undefined && (!Number.isInteger(commandType) || commandType <= 0)) throw new UsageError(`--command-type takes CommandTypes flags as a number, not '${f.commandType}'`);
    const pool = await openSession(to, options);
    try {
      const discovery = await discoverCommands(pool, {
        ...(f.commands ? { commands: f.commands } : {}),
        ...(f.module ? { modules: f.module } : {}),
        ...(commandType !== undefined ? { commandType } : {}),
      });
      if (discovery.commands.length === 0) throw new UsageError(`the endpoint has no command matching ${(f.commands ?? ['*']).join(', ')}`);
      const text = generateModule(discovery, {
        target: displayTarget(target),
        configurationName: f.configurationName,
        importFrom: f.importFrom,
        ...(f.moduleName ? { moduleName: f.moduleName } : {}),
        ...(f.prefix ? { prefix: f.prefix } : {}),
      });
      mkdirSync(f.out, { recursive: true });
      writeFileSync(join(f.out, 'index.ts'), text);
      io.stdout.write(`wrote ${join(f.out, 'index.ts')}: ${discovery.commands.length} commands (${visibleText(discovery.commands.map((c) => c.name).join(', '))})${discovery.source.languageMode ? '' : '; the endpoint runs no scripts, so parameter sets are not known and the server checks them'}\n`);
    } finally {
      await pool.close().catch(() => undefined);
    }
  });
}

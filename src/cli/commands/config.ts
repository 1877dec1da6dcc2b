// `psremote config show [HOST]` and `psremote config path`: the configuration
// file (src/cli/config.ts) as psremote reads it, secrets masked.

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadConfig, maskedHost } from '../config.js';
import type { CliIO } from '../io.js';

export function register(program: Command, io: CliIO): void {
  const config = program
    .command('config')
    .description('the configuration file with named hosts (~/.config/psremote/config.json, $XDG_CONFIG_HOME, or PSREMOTE_CONFIG)');
  config
    .command('show')
    .description('print the resolved settings of every named host, or of HOST, with secrets masked')
    .argument('[host]', 'a host name from the config file')
    .option('--json', 'print JSON')
    .action((host: string | undefined, f: { json?: boolean }) => {
      const c = loadConfig();
      let names = [...c.hosts.keys()];
      if (host !== undefined) {
        if (!c.hosts.has(host)) throw new UsageError(`no host named "${host}" in ${c.path}${c.exists ? '' : ' (the file does not exist)'}`);
        names = [host];
      }
      const hosts = Object.fromEntries(names.map((n) => [n, maskedHost(c.hosts.get(n)!)]));
      if (f.json) {
        io.stdout.write(`${JSON.stringify({ path: c.path, exists: c.exists, hosts })}\n`);
        return;
      }
      io.stdout.write(`# ${c.path}${c.exists ? '' : ' (does not exist)'}\n`);
      for (const [n, h] of Object.entries(hosts)) {
        io.stdout.write(`${n}\n`);
        const pad = Math.max(...Object.keys(h).map((k) => k.length));
        for (const [k, v] of Object.entries(h)) io.stdout.write(`  ${k.padEnd(pad)}  ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
      }
    });
  config
    .command('path')
    .description('print where the configuration file is looked for')
    .action(() => {
      io.stdout.write(`${loadConfig().path}\n`);
    });
}

// `psremote wmi <host> "<WQL>"`: run a WQL query through WinRM's WMI plug-in,
// printing one JSON line per record (--json) or a table-like text listing.

import type { Command } from 'commander';
import { resolveTarget } from '../../winrm/target.js';
import { wmiQuery, type WmiValue } from '../../winrm/wmi.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import { HOST_ARGUMENT } from '../command-options.js';
import type { CliIO } from '../io.js';
import { visibleText } from '../terminal-text.js';

function text(v: WmiValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `{${v.map(text).join(', ')}}`;
  return JSON.stringify(v);
}

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('wmi')
    .description('run a WQL query (WMI over WinRM)')
    .argument(...HOST_ARGUMENT)
    .argument('<wql>', 'the query, e.g. "SELECT Name,State FROM Win32_Service"')
    .option('--namespace <ns>', 'WMI namespace', 'root/cimv2')
    .option('--json', 'one JSON object per record and line');
  addConnectionFlags(cmd).action(async (host: string, wql: string, f: ConnectionFlags & { json?: boolean; namespace: string }) => {
    const { client } = resolveTarget(await connectionOptions(host, f, io));
    try {
      let first = true;
      for await (const rec of wmiQuery(client, wql, { namespace: f.namespace })) {
        if (f.json) {
          io.stdout.write(`${JSON.stringify({ class: rec.className, ...rec.properties })}\n`);
          continue;
        }
        if (!first) io.stdout.write('\n');
        first = false;
        const names = Object.keys(rec.properties);
        const width = Math.max(0, ...names.map((n) => n.length));
        for (const n of names) io.stdout.write(`${visibleText(n.padEnd(width))} : ${visibleText(text(rec.properties[n]!))}\n`);
      }
    } finally {
      await client.close();
    }
  });
}

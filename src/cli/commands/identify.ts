// `psremote identify <host>`: WS-Management Identify (no authentication needed
// on Windows), printed as text or JSON.

import type { Command } from 'commander';
import { resolveTarget } from '../../winrm/target.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import type { CliIO } from '../io.js';
import { visibleText } from '../terminal-text.js';

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('identify')
    .description('send a WS-Management Identify and print what the server says about itself')
    .argument('<host>', 'host, host:port or http(s)://host:port/wsman')
    .option('--json', 'print JSON');
  addConnectionFlags(cmd).action(async (host: string, f: ConnectionFlags & { json?: boolean }) => {
    const { client } = resolveTarget(await connectionOptions(host, f, io));
    try {
      const id = await client.identify();
      if (f.json) io.stdout.write(`${JSON.stringify({ endpoint: client.url, ...id })}\n`);
      else {
        io.stdout.write(`endpoint:         ${client.url}\n`);
        io.stdout.write(`protocol version: ${visibleText(id.protocolVersion ?? '-')}\n`);
        io.stdout.write(`product vendor:   ${visibleText(id.productVendor ?? '-')}\n`);
        io.stdout.write(`product version:  ${visibleText(id.productVersion ?? '-')}\n`);
        for (const p of id.securityProfiles) io.stdout.write(`security profile: ${visibleText(p)}\n`);
      }
    } finally {
      await client.close();
    }
  });
}

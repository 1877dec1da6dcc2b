// `psremote demo`: starts the local WinRM endpoint on loopback and runs a
// PowerShell pipeline and a WinRS command through psremote's own client, over
// real HTTP, printing what happens. The README's first command.

import type { Command } from 'commander';
import { startEndpoint } from '../../server/endpoint.js';
import { openSession } from '../../session/open.js';
import { runCommand } from '../../winrm/winrs.js';
import { recordMessage, toDisplayString } from '../../clixml/display.js';
import type { PSValue } from '../../clixml/values.js';
import type { CliIO } from '../io.js';

export function register(program: Command, io: CliIO): void {
  program
    .command('demo')
    .description('start a local WinRM endpoint and run PowerShell and cmd commands through the client')
    .action(async () => {
      const out = (s: string) => io.stdout.write(`${s}\n`);
      const ep = await startEndpoint();
      out(`local WinRM endpoint: ${ep.url} (scripted PowerShell engine)`);
      try {
        const script = "Write-Output 'hello from PowerShell remoting' 42; hostname; Write-Warning 'this is the warning stream'";
        out(`\n> New-PSSession, Invoke-Command { ${script} }`);
        const pool = await openSession(ep.url);
        out(`  runspace pool ${pool.runspacePoolId} ${pool.state}, server protocol ${pool.serverProtocolVersion}`);
        const inv = pool.invoke(script);
        for await (const o of inv) out(`  output: ${toDisplayString(o)}`);
        for (const w of (await inv.result()).warning) out(`  WARNING: ${recordMessage(w)}`);
        await pool.close();
        out(`  closed; requests per operation: ${JSON.stringify(ep.stats.requests)}`);
        out('\n> winrs: echo hello from a WinRS shell');
        const r = await runCommand(ep.url, 'echo', ['hello from a WinRS shell']);
        out(`  stdout: ${r.stdout.trimEnd()}\n  exit code: ${r.exitCode}`);
      } finally {
        await ep.close();
      }
    });
}

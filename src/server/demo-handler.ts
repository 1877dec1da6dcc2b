// What the scripted engine runs when no handler is registered: a few commands
// that need no PowerShell, enough for the README demo and smoke tests. Anything
// else fails with a message that says so; real PowerShell comes from
// `--engine real` (the .NET host, where available). whoami and $PSSenderInfo
// tell who connected and, with CredSSP, whose credentials were delegated.

import { hostname } from 'node:os';
import type { ScriptContext } from './scripted-engine.js';

const words = (s: string): string[] => [...s.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');

function value(w: string): string | number {
  return /^-?\d+$/.test(w) && Math.abs(Number(w)) <= 2 ** 31 - 1 ? Number(w) : w;
}

export async function demoHandler(ctx: ScriptContext): Promise<void> {
  const script = ctx.commandText.trim();
  for (const statement of script.split(/;|\n/).map((s) => s.trim()).filter(Boolean)) {
    const [cmd = '', ...rest] = words(statement);
    switch (cmd.toLowerCase()) {
      case 'write-output':
      case 'echo':
        for (const w of rest) ctx.output(value(w));
        break;
      case 'write-warning':
        ctx.warning(rest.join(' '));
        break;
      case 'write-verbose':
        ctx.verbose(rest.join(' '));
        break;
      case 'write-error':
        ctx.error(rest.join(' '));
        break;
      case 'hostname':
        ctx.output(hostname());
        break;
      case 'get-date':
        ctx.output(new Date().toISOString());
        break;
      case '$input':
        for await (const x of ctx.input) ctx.output(x);
        break;
      case 'whoami':
        ctx.output(ctx.senderInfo.userName);
        break;
      // Not PowerShell's PSSenderInfo object: its two names a test or script asks for.
      case '$pssenderinfo.username':
        ctx.output(ctx.senderInfo.userName);
        break;
      case '$pssenderinfo.delegateduser':
        ctx.output(ctx.senderInfo.delegatedUser ?? null);
        break;
      default:
        throw new Error(
          `the scripted engine does not run "${cmd}": it knows Write-Output, Write-Warning, Write-Verbose, Write-Error, hostname, Get-Date, whoami, $PSSenderInfo.UserName, $PSSenderInfo.DelegatedUser and $input (use a real PowerShell engine for anything else)`,
        );
    }
  }
}

// What the scripted engine runs when no handler is registered: a few commands
// that need no PowerShell, enough for the README demo and smoke tests. Anything
// else fails with a message that says so; real PowerShell comes from
// `--engine real` (the .NET host, where available). whoami and $PSSenderInfo
// tell who connected and, with CredSSP, whose credentials were delegated.

import { appendFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ScriptContext } from './scripted-engine.js';
import { UsageError } from '../errors.js';

const words = (s: string): string[] => [...s.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');

/** `-Name value` pairs and the words left over, as PowerShell binds a simple command line. */
function bind(rest: string[]): { named: Map<string, string>; positional: string[] } {
  const named = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (/^-[a-z]+$/i.test(w) && i + 1 < rest.length) named.set(w.slice(1).toLowerCase(), rest[++i]!);
    else positional.push(w);
  }
  return { named, positional };
}

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
      // What fleet tests need on the host side: a trace that the script ran
      // (relative paths land in the endpoint's working directory), and time.
      case 'add-content': {
        const { named, positional } = bind(rest);
        const path = named.get('path') ?? positional[0];
        const text = named.get('value') ?? positional[named.has('path') ? 0 : 1];
        if (!path || text === undefined) throw new UsageError('Add-Content needs -Path and -Value');
        await appendFile(path, `${text}\n`);
        break;
      }
      case 'start-sleep': {
        const { named, positional } = bind(rest);
        const ms = named.has('milliseconds') ? Number(named.get('milliseconds')) : Number(named.get('seconds') ?? positional[0]) * 1000;
        if (!Number.isFinite(ms) || ms < 0 || ms > 86_400_000) throw new UsageError('Start-Sleep needs -Seconds or -Milliseconds (at most a day)');
        await sleep(ms, undefined, { signal: ctx.signal }).catch(() => undefined);
        break;
      }
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
        throw new UsageError(
          `the scripted engine does not run "${cmd}": it knows Write-Output, Write-Warning, Write-Verbose, Write-Error, hostname, Get-Date, Add-Content, Start-Sleep, whoami, $PSSenderInfo.UserName, $PSSenderInfo.DelegatedUser and $input (use a real PowerShell engine for anything else)`,
        );
    }
  }
}

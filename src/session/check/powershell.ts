// The PowerShell part of `psremote check`: does the configuration open, which
// PowerShell and protocol versions answer, in which language mode, which
// commands are visible (GET_COMMAND_METADATA, which JEA endpoints answer too:
// for them the list that matters), and whether Disconnect/Reconnect work.

import { openSession } from '../open.js';
import { discoverCommands } from '../import/import-session.js';
import { PipelineFailedError } from '../powershell.js';
import { toPlain } from '../../clixml/plain.js';
import type { ConfigurationFacts } from './report.js';

export interface PowerShellProbeOptions {
  readonly credential: { readonly username: string; readonly password: string };
  /** Basic instead of NTLM (when only Basic was accepted). */
  readonly basic: boolean;
  readonly tls: { readonly ca?: string | Buffer; readonly servername?: string };
  readonly signal?: AbortSignal;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function probePowerShell(url: string, configurationName: string, o: PowerShellProbeOptions): Promise<ConfigurationFacts> {
  let pool;
  try {
    pool = await openSession(url, {
      configurationName,
      credential: o.basic ? { username: o.credential.username, password: o.credential.password } : { username: o.credential.username, password: o.credential.password, authentication: 'ntlm' },
      allowUnencrypted: true,
      tls: o.tls,
      proxy: false,
      closeOnExit: true,
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (e) {
    return { opens: false, error: message(e) };
  }
  try {
    const data = toPlain(pool.applicationPrivateData) as { PSVersionTable?: { PSVersion?: unknown } } | null;
    const v = data?.PSVersionTable?.PSVersion;
    let languageMode: string | null;
    try {
      const r = await pool.invoke('$ExecutionContext.SessionState.LanguageMode.ToString()').result();
      languageMode = typeof r.output[0] === 'string' ? r.output[0] : null;
    } catch (e) {
      // A NoLanguage endpoint refuses every script with this message (the parser's own words).
      languageMode = e instanceof PipelineFailedError && /no-language mode|NoLanguage/i.test(e.message) ? 'NoLanguage' : null;
    }
    let commands: string[] | undefined;
    try {
      commands = (await discoverCommands(pool, { metadataOnly: true, ...(o.signal ? { signal: o.signal } : {}) })).commands.map((c) => c.name);
    } catch {
      commands = undefined;
    }
    let disconnect: boolean | null = null;
    try {
      await pool.disconnect(o.signal ? { signal: o.signal } : {});
      await pool.reconnect(o.signal);
      disconnect = true;
    } catch {
      disconnect = false;
    }
    return {
      opens: true,
      psVersion: typeof v === 'string' ? v : null,
      protocolVersion: pool.serverProtocolVersion ?? null,
      languageMode,
      ...(commands ? { commands } : {}),
      disconnect,
    };
  } finally {
    await pool.close().catch(() => undefined);
  }
}

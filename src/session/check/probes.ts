// Opt-in probes of `psremote check` that other clients trip over and no
// setting shows reliably: how long a shell with no outstanding Receive lives
// (Windows drops such shells after about a minute, whatever IdleTimeout says;
// peers note C4). The probe creates one cmd shell, watches for it in the
// service's shell enumeration (which does not touch it, unlike a Get), and
// deletes it. Opt-in because it takes up to `idleSeconds` and makes a shell.

import { RESOURCE } from '../../wsman/namespaces.js';
import { parseShellElement } from '../../wsman/response.js';
import type { WSManClient } from '../../winrm/wsman-client.js';

export interface ProbeOptions {
  /** Watch an idle shell for at most this long (seconds). */
  readonly idleSeconds?: number;
  /** How often to look (default 1 s). */
  readonly pollMs?: number;
}

export interface ProbeFacts {
  /** Seconds an idle shell lived; null when it outlived the probe. */
  readonly idleLifetimeSeconds?: number | null;
  readonly idleProbeSeconds?: number;
  readonly error?: string;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });

async function shellExists(client: WSManClient, shellId: string, signal?: AbortSignal): Promise<boolean> {
  const r = await client.enumerate(RESOURCE.shell, {}, { ...(signal ? { signal } : {}) });
  return r.items.some((i) => parseShellElement(i).shellId.toUpperCase() === shellId.toUpperCase());
}

export async function runProbes(client: WSManClient, o: ProbeOptions, signal?: AbortSignal): Promise<ProbeFacts> {
  if (!o.idleSeconds) return {};
  const limitMs = o.idleSeconds * 1000;
  const poll = o.pollMs ?? 1000;
  let shellId: string | undefined;
  try {
    shellId = (await client.create(RESOURCE.cmdShell, { inputStreams: 'stdin', outputStreams: 'stdout stderr' }, signal ? { signal } : {})).shellId;
    const t0 = Date.now();
    while (Date.now() - t0 < limitMs) {
      await sleep(poll, signal);
      if (!(await shellExists(client, shellId, signal))) {
        const lived = (Date.now() - t0) / 1000;
        shellId = undefined;
        return { idleLifetimeSeconds: Math.round(lived * 10) / 10, idleProbeSeconds: o.idleSeconds };
      }
    }
    return { idleLifetimeSeconds: null, idleProbeSeconds: o.idleSeconds };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  } finally {
    if (shellId) await client.delete(RESOURCE.cmdShell, shellId, signal ? { signal } : {}).catch(() => undefined);
  }
}

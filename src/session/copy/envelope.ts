// The envelope a copy fills: MaxEnvelopeSizekb from the server's WinRM config
// when this user may read it (Windows lets administrators), so that chunks use
// what the server allows and not only the 500 KB default. Read before the
// session opens, since the session's carrier fixes its envelope size then:
//   const kb = await readEnvelopeSizeKb(url, opts);
//   const pool = await openSession(url, { ...opts, ...(kb ? { envelopeSize: { serverConfigKb: kb } } : {}) });

import { wsmanCarrier, type SessionOptions } from '../open.js';
import { parseOutOfProcTarget, targetEndpoint, type Target } from '../../winrm/target.js';
import { WSManClient } from '../../winrm/wsman-client.js';

/** Below this every WinRM 2.0+ server takes more; above it a value is not to be trusted. */
const MIN_KB = 150;
const MAX_KB = 64 * 1024;

/** MaxEnvelopeSizekb of a WinRM target, or undefined (not readable, not WinRM, out of range). */
export async function readEnvelopeSizeKb(target: Target, options: SessionOptions = {}): Promise<number | undefined> {
  const endpoint = targetEndpoint(target);
  if (endpoint !== undefined && parseOutOfProcTarget(endpoint)) return undefined;
  const client = wsmanCarrier(target, options).client;
  try {
    const kb = await client.getMaxEnvelopeSizeKb({ signal: options.signal ?? AbortSignal.timeout(15_000) });
    return kb !== undefined && kb >= MIN_KB && kb <= MAX_KB ? kb : undefined;
  } catch {
    return undefined;
  } finally {
    if (!(target instanceof WSManClient)) await client.close().catch(() => undefined);
  }
}

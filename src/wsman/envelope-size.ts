// MaxEnvelopeSize policy (MS-WSMV 2.2.4.10, peers note C1): start at 150 KiB,
// which every WinRM 2.0+ server accepts; move to 500 KiB once the PowerShell
// peer reports protocol 2.2 or later (PowerShell 3+ servers default to 500 KiB);
// an explicit value, or one read from the server's config, wins.

export const ENVELOPE_SIZE_V2 = 153_600;
export const ENVELOPE_SIZE_V3 = 512_000;

export interface EnvelopeSizePolicy {
  /** Explicit MaxEnvelopeSize in bytes; disables negotiation. */
  readonly explicit?: number;
  /** `MaxEnvelopeSizekb` read from the server config, if the caller asked for it. */
  readonly serverConfigKb?: number;
}

/** The MaxEnvelopeSize to use, given what the PowerShell peer reported (if anything). */
export function maxEnvelopeSize(policy: EnvelopeSizePolicy = {}, peerProtocolVersion?: string): number {
  if (policy.explicit !== undefined) return policy.explicit;
  if (policy.serverConfigKb !== undefined) return policy.serverConfigKb * 1024;
  if (peerProtocolVersion !== undefined && compareVersions(peerProtocolVersion, '2.2') >= 0) return ENVELOPE_SIZE_V3;
  return ENVELOPE_SIZE_V2;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

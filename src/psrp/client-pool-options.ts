// What a client RunspacePool is made with (client-pool.ts), and the checks of it.

import type { KeyObject } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { HostInfo, PSInput } from './message-types.js';
import type { PoolCoreOptions } from './pool-core.js';

export interface RsaKeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

export interface ClientRunspacePoolOptions extends PoolCoreOptions {
  runspacePoolId: string;
  minRunspaces?: number;
  maxRunspaces?: number;
  /** PSThreadOptions (default 0, Default). */
  threadOptions?: number;
  /** ApartmentState (default 2, Unknown; what pypsrp sends). */
  apartmentState?: number;
  hostInfo?: HostInfo;
  /** Primitive dictionary (PSPrimitiveDictionary) or null. */
  applicationArguments?: PSInput;
  /**
   * RSA-2048 key pair for the SecureString key exchange (protocol 2.2/2.3).
   * With it the pool answers PUBLIC_KEY_REQUEST by itself.
   */
  keyPair?: RsaKeyPair;
  /** First call id ("ci") used for SET_*_RUNSPACES, GET_AVAILABLE_RUNSPACES and RESET (default 1; pypsrp used 0). */
  firstCallId?: bigint;
}

/** What a pending call id was for. */
export type PoolCallKind = 'SetMaxRunspaces' | 'SetMinRunspaces' | 'GetAvailableRunspaces' | 'ResetRunspaceState';

export interface PendingCall {
  readonly kind: PoolCallKind;
  readonly value: number | undefined;
}

export function checkRunspaceCounts(min: number, max: number): void {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < 1 || min > max || max > 0x7fffffff) {
    throw new UsageError(`invalid runspace counts: min ${min}, max ${max}`);
  }
}


// A session handle as data: where a PowerShell session lives (the endpoint, its
// ShellId and RunspacePoolId, the configuration), who opened it (scheme and user
// name, never a secret) and which pipelines run in it. It is plain JSON, so it
// can be written to a file or to Redis by one process and used by another, on
// any machine, to connect to the session and collect what its pipelines wrote
// while nobody listened (Connect-PSSession | Receive-PSSession).
//
// The store interface is here too: a queue worker records a handle before it
// waits, and another worker that takes the job over finds it there. Its
// compare-and-set is what keeps two workers from both taking one session.

import { UsageError } from '../errors.js';

export const SESSION_HANDLE_VERSION = 1;

export interface SessionHandle {
  /** Format of this object (a reader refuses versions it does not know). */
  readonly version: typeof SESSION_HANDLE_VERSION;
  /** The WS-Management endpoint (`http://host:5985/wsman`) or the host as given to openSession. */
  readonly target: string;
  readonly shellId: string;
  readonly runspacePoolId: string;
  readonly configurationName: string;
  /** The scheme the session was opened with (basic, ntlm, negotiate, credssp, certificate), if known. */
  readonly authentication?: string | undefined;
  /** User name only: the secret comes from the caller each time. */
  readonly user?: string | undefined;
  /** Pipelines that were running in the session when the handle was taken. */
  readonly pipelineIds: readonly string[];
  /** PSRP protocol version the server reported. */
  readonly protocolVersion?: string | undefined;
}

/** What openSession/connectSession know about a pool that the pool itself does not. */
export interface HandleOrigin {
  readonly target: string;
  readonly configurationName: string;
  readonly authentication?: string | undefined;
  readonly user?: string | undefined;
  /** Closes the pool's connections here without removing the session on the server. */
  readonly release: () => Promise<void>;
}

const origins = new WeakMap<object, HandleOrigin>();

/** @internal open.ts records where a pool came from. */
export function recordOrigin(pool: object, origin: HandleOrigin): void {
  origins.set(pool, origin);
}

/** @internal */
export function originOf(pool: object): HandleOrigin | undefined {
  return origins.get(pool);
}

/** @internal the handle of a pool (RunspacePool.handle()). */
export function handleFor(pool: object, state: { runspacePoolId: string; protocolVersion: string | undefined; pipelineIds: readonly string[] }): SessionHandle {
  const origin = origins.get(pool);
  if (!origin) throw new UsageError('this pool has no handle: only pools made by openSession or connectSession on a WS-Management endpoint have one');
  return {
    version: SESSION_HANDLE_VERSION,
    target: origin.target,
    shellId: state.runspacePoolId.toUpperCase(),
    runspacePoolId: state.runspacePoolId,
    configurationName: origin.configurationName,
    ...(origin.authentication ? { authentication: origin.authentication } : {}),
    ...(origin.user ? { user: origin.user } : {}),
    pipelineIds: [...state.pipelineIds],
    ...(state.protocolVersion ? { protocolVersion: state.protocolVersion } : {}),
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECRET_FIELDS = ['password', 'ntHash', 'secret', 'token', 'key', 'privateKey'];

/**
 * Reads a handle from untrusted JSON (a file, a queue, a store): every field
 * checked, a typed error naming the field otherwise. A handle that carries a
 * secret is refused, so a mistake upstream is not propagated further.
 */
export function parseSessionHandle(value: unknown, where = 'session handle'): SessionHandle {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new UsageError(`${where} is not valid JSON`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${where} is not an object`);
  const o = value as Record<string, unknown>;
  for (const s of SECRET_FIELDS) if (s in o) throw new UsageError(`${where} holds a field "${s}": handles never carry secrets`);
  if (o.version !== SESSION_HANDLE_VERSION) throw new UsageError(`${where}: unknown version ${JSON.stringify(o.version)} (this psremote reads version ${SESSION_HANDLE_VERSION})`);
  const text = (name: string, optional = false, max = 2048): string | undefined => {
    const v = o[name];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new UsageError(`${where}: ${name} must be a non-empty string of at most ${max} characters`);
    return v;
  };
  const guid = (name: string): string => {
    const v = text(name)!;
    if (!GUID.test(v)) throw new UsageError(`${where}: ${name} "${v.slice(0, 64)}" is not a GUID`);
    return v;
  };
  const ids = o.pipelineIds;
  if (!Array.isArray(ids) || ids.length > 1024) throw new UsageError(`${where}: pipelineIds must be an array of at most 1024 GUIDs`);
  for (const [i, id] of ids.entries()) if (typeof id !== 'string' || !GUID.test(id)) throw new UsageError(`${where}: pipelineIds[${i}] is not a GUID`);
  const authentication = text('authentication', true, 32);
  const user = text('user', true, 512);
  const protocolVersion = text('protocolVersion', true, 16);
  return {
    version: SESSION_HANDLE_VERSION,
    target: text('target')!,
    shellId: guid('shellId'),
    runspacePoolId: guid('runspacePoolId'),
    configurationName: text('configurationName', false, 256)!,
    ...(authentication ? { authentication } : {}),
    ...(user ? { user } : {}),
    pipelineIds: ids as string[],
    ...(protocolVersion ? { protocolVersion } : {}),
  };
}

/**
 * Where handles (or any JSON records about sessions) are kept between
 * processes: on files for the CLI's named sessions (store.ts), in Redis for
 * fleets (redis-store.ts). Values are JSON; `compareAndSet` is atomic.
 */
export interface SessionStore<T> {
  get(key: string): Promise<T | undefined>;
  put(key: string, value: T): Promise<void>;
  /** True when there was something to delete. */
  delete(key: string): Promise<boolean>;
  list(): Promise<{ key: string; value: T }[]>;
  /**
   * Writes `next` (undefined: deletes) only if the stored value equals
   * `expected` (undefined: nothing stored), compared as canonical JSON.
   * True when it wrote. Two workers racing for one key: exactly one wins.
   */
  compareAndSet(key: string, expected: T | undefined, next: T | undefined): Promise<boolean>;
}

/** JSON with object keys sorted, so equal values compare equal as text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

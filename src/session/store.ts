// Named session handles that outlive the process, so `psremote session …` and
// `psremote invoke --session NAME` can find a session again later, from another
// process. A handle says where the session is (endpoint, ShellId, pool id,
// configuration, user name); it never holds a password or key.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { PsRemoteError, SessionError, UsageError } from '../errors.js';

export interface SessionHandle {
  readonly name: string;
  /** The endpoint URL (`http://host:5985/wsman`). */
  readonly endpoint: string;
  readonly shellId: string;
  readonly runspacePoolId: string;
  readonly configurationName: string;
  /** User name only, for the user's reference; credentials come from flags or env each time. */
  readonly user?: string | undefined;
  readonly createdAt: string;
}

export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PSREMOTE_HOME) return join(env.PSREMOTE_HOME, 'sessions.json');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'psremote', 'sessions.json');
}

/** The local store of named sessions cannot be read or is not valid JSON (PSR_SESSION_STORE). */
export class SessionStoreError extends PsRemoteError {
  readonly path: string;
  constructor(path: string, message: string, cause?: unknown) {
    super('PSR_SESSION_STORE', message, cause === undefined ? undefined : { cause });
    this.path = path;
  }
}

export class SessionStore {
  constructor(readonly path = defaultStorePath()) {}

  list(): SessionHandle[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SessionStoreError(this.path, `cannot read the session store ${this.path}: ${(e as Error).message}`, e);
    }
    try {
      const data = JSON.parse(text) as { sessions?: SessionHandle[] };
      return Array.isArray(data.sessions) ? data.sessions : [];
    } catch {
      throw new SessionStoreError(this.path, `the session store ${this.path} is not valid JSON`);
    }
  }

  get(name: string): SessionHandle {
    const h = this.list().find((s) => s.name === name);
    if (!h) throw new SessionError('PSR_SESSION_NOT_FOUND', `no session named "${name}" in ${this.path}`);
    return h;
  }

  add(handle: SessionHandle): void {
    if (!/^[\w.-]{1,64}$/.test(handle.name)) throw new UsageError(`invalid session name "${handle.name}" (letters, digits, . _ -)`);
    const all = this.list();
    if (all.some((s) => s.name === handle.name)) throw new UsageError(`a session named "${handle.name}" already exists`);
    this.#write([...all, handle]);
  }

  remove(name: string): void {
    this.#write(this.list().filter((s) => s.name !== name));
  }

  #write(sessions: SessionHandle[]): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ sessions }, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

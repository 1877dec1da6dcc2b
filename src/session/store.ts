// Named session handles that outlive the process, so `psremote session …` and
// `psremote invoke --session NAME` can find a session again later, from another
// process: the file implementation of SessionStore (handle.ts). An entry says
// where the session is (endpoint, ShellId, pool id, configuration, user name);
// it never holds a password or key.
//
// Several processes may write at once (two shells, two workers), so every
// change is a read-modify-write under a lock file made with O_EXCL, and the
// new content replaces the old by rename: a reader never sees half a file.

import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PsRemoteError, SessionError, TimeoutError, UsageError } from '../errors.js';
import { canonicalJson, type SessionStore } from './handle.js';

export interface NamedSession {
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

const NAME = /^[\w.-]{1,64}$/;
/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

/** The local store of named sessions cannot be read or is not valid JSON (PSR_SESSION_STORE). */
export class SessionStoreError extends PsRemoteError {
  readonly path: string;
  constructor(path: string, message: string, cause?: unknown) {
    super('PSR_SESSION_STORE', message, cause === undefined ? undefined : { cause });
    this.path = path;
  }
}

export class FileSessionStore<T extends { readonly name: string } = NamedSession> implements SessionStore<T> {
  constructor(readonly path = defaultStorePath()) {}

  // --- SessionStore ---------------------------------------------------------

  async get(key: string): Promise<T | undefined> {
    return this.#read().find((s) => s.name === key);
  }

  async put(key: string, value: T): Promise<void> {
    this.#checkName(key);
    await this.#locked((all) => [...all.filter((s) => s.name !== key), { ...value, name: key }]);
  }

  async delete(key: string): Promise<boolean> {
    let found = false;
    await this.#locked((all) => {
      found = all.some((s) => s.name === key);
      return found ? all.filter((s) => s.name !== key) : undefined;
    });
    return found;
  }

  async list(): Promise<{ key: string; value: T }[]> {
    return this.#read().map((value) => ({ key: value.name, value }));
  }

  async compareAndSet(key: string, expected: T | undefined, next: T | undefined): Promise<boolean> {
    this.#checkName(key);
    let wrote = false;
    await this.#locked((all) => {
      const current = all.find((s) => s.name === key);
      const same = current === undefined || expected === undefined ? current === expected : canonicalJson(current) === canonicalJson({ ...expected, name: key });
      if (!same) return undefined;
      wrote = true;
      const rest = all.filter((s) => s.name !== key);
      return next === undefined ? rest : [...rest, { ...next, name: key }];
    });
    return wrote;
  }

  // --- what the CLI's `session` commands use (synchronous, throwing) -------

  all(): T[] {
    return this.#read();
  }

  /** The entry named `name`, or PSR_SESSION_NOT_FOUND. */
  named(name: string): T {
    const h = this.#read().find((s) => s.name === name);
    if (!h) throw new SessionError('PSR_SESSION_NOT_FOUND', `no session named "${name}" in ${this.path}`);
    return h;
  }

  add(handle: T): void {
    this.#checkName(handle.name);
    const all = this.#read();
    if (all.some((s) => s.name === handle.name)) throw new UsageError(`a session named "${handle.name}" already exists`);
    this.#write([...all, handle]);
  }

  remove(name: string): void {
    this.#write(this.#read().filter((s) => s.name !== name));
  }

  // --------------------------------------------------------------------------

  #checkName(name: string): void {
    if (!NAME.test(name)) throw new UsageError(`invalid session name "${name}" (letters, digits, . _ -; at most 64)`);
  }

  #read(): T[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SessionStoreError(this.path, `cannot read the session store ${this.path}: ${(e as Error).message}`, e);
    }
    try {
      const data = JSON.parse(text) as { sessions?: T[] };
      return Array.isArray(data.sessions) ? data.sessions.filter((s) => s !== null && typeof s === 'object' && typeof s.name === 'string') : [];
    } catch {
      throw new SessionStoreError(this.path, `the session store ${this.path} is not valid JSON`);
    }
  }

  #write(sessions: T[]): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ sessions }, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  /** Runs `change` on the entries under the lock; it returns the new entries, or undefined to leave the file alone. */
  async #locked(change: (all: T[]) => T[] | undefined): Promise<void> {
    const lock = `${this.path}.lock`;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + 30_000;
    for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
      try {
        closeSync(openSync(lock, 'wx', 0o600));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new SessionStoreError(this.path, `cannot lock the session store ${lock}: ${(e as Error).message}`, e);
        try {
          if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true });
        } catch {
          // gone meanwhile: try again
        }
        if (Date.now() > deadline) throw new TimeoutError(`the session store ${this.path} stayed locked for 30 s (${lock})`);
        await sleep(wait);
      }
    }
    try {
      const next = change(this.#read());
      if (next) this.#write(next);
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

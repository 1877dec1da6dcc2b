// Sessions opened by a process are closed when it exits normally, as
// PowerShell removes a script's PSSessions when the script's runspace ends. A
// pool's keep-alive Receive does not keep Node alive (TransportRequest.background),
// so when a program is done the event loop drains, 'beforeExit' fires, and the
// still-open pools are closed (WSMan Delete) before the process ends.
// Disconnected pools are left alone: they were disconnected to outlive us.
// One-shot helpers (runCommand, invokeCommand) hand their result back before
// their shell's Delete is answered; those closes are kept here so that the
// process waits for them at exit (flushPendingCloses, or 'beforeExit').

interface Closable {
  readonly state: string;
  close(): Promise<void>;
}

const open = new Set<Closable>();
let installed = false;

const pending = new Set<Promise<unknown>>();

async function closeAll(): Promise<void> {
  installed = false;
  const pools = [...open].filter((p) => p.state === 'Opened');
  open.clear();
  await Promise.allSettled([...pools.map((p) => p.close()), ...pending]);
}

function install(): void {
  if (!installed) {
    installed = true;
    process.once('beforeExit', () => void closeAll());
  }
}

/** Closes `pool` at a normal process exit unless it was closed or disconnected before. */
export function closeOnExit(pool: Closable): void {
  open.add(pool);
  install();
}

/**
 * Lets `close` finish off the caller's critical path: its failure is dropped
 * (the result was already given), and the process does not end before it.
 */
export function closeInBackground(close: Promise<unknown>): void {
  const p = close.catch(() => undefined).finally(() => pending.delete(p));
  pending.add(p);
  install();
}

/** Resolves when every close sent off the critical path has been answered (or failed). */
export async function flushPendingCloses(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}

export function forgetOnExit(pool: Closable): void {
  open.delete(pool);
}

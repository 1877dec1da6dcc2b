// Sessions opened by a process are closed when it exits normally, as
// PowerShell removes a script's PSSessions when the script's runspace ends. A
// pool's keep-alive Receive does not keep Node alive (TransportRequest.background),
// so when a program is done the event loop drains, 'beforeExit' fires, and the
// still-open pools are closed (WSMan Delete) before the process ends.
// Disconnected pools are left alone: they were disconnected to outlive us.

interface Closable {
  readonly state: string;
  close(): Promise<void>;
}

const open = new Set<Closable>();
let installed = false;

async function closeAll(): Promise<void> {
  installed = false;
  const pools = [...open].filter((p) => p.state === 'Opened');
  open.clear();
  await Promise.allSettled(pools.map((p) => p.close()));
}

/** Closes `pool` at a normal process exit unless it was closed or disconnected before. */
export function closeOnExit(pool: Closable): void {
  open.add(pool);
  if (!installed) {
    installed = true;
    process.once('beforeExit', () => void closeAll());
  }
}

export function forgetOnExit(pool: Closable): void {
  open.delete(pool);
}

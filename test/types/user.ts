// A user's program against the package's public exports, compiled by
// user-types.test.ts with `tsc --strict` (tsconfig.json here maps `psremote`
// to src/index.ts). It is never run: every line is a claim about the types.

import { expectTypeOf } from 'vitest';
import {
  checkHost,
  connectSession,
  getRemoteSessions,
  invokeCommand,
  invokeOnHosts,
  openSession,
  openShell,
  runCommand,
  wmiGet,
  wmiInvoke,
  wmiQuery,
  WSManClient,
  PsRemoteError,
  type PsrpCarrier,
  type ConnectionOptions,
  type InvocationResult,
  type PSInput,
  type PSValue,
  type RunspacePool,
  type RunspacePoolStateName,
  type Target,
} from 'psremote';
import * as psremote from 'psremote';

declare const pool: RunspacePool;
declare const client: WSManClient;

export async function output(): Promise<void> {
  // Output is the CLIXML union, not unknown.
  for await (const o of pool.invoke('1')) {
    expectTypeOf(o).toEqualTypeOf<PSValue>();
    expectTypeOf(o).not.toBeUnknown();
  }
  const r = await pool.invoke('1').result();
  expectTypeOf(r).toEqualTypeOf<InvocationResult>();
  expectTypeOf(r.output).toEqualTypeOf<readonly PSValue[]>();
  expectTypeOf(r.error).toEqualTypeOf<readonly PSValue[]>();
  expectTypeOf(r.warning).toEqualTypeOf<readonly PSValue[]>();
  expectTypeOf(r.information).toEqualTypeOf<readonly PSValue[]>();
  for await (const e of pool.invoke('1').streams.error) expectTypeOf(e).toEqualTypeOf<PSValue>();
  expectTypeOf((await invokeCommand('host', '1')).output).toEqualTypeOf<readonly PSValue[]>();
  expectTypeOf(pool.state).toEqualTypeOf<RunspacePoolStateName>();
  const opened: RunspacePoolStateName = 'Opened';
  // @ts-expect-error not a pool state
  const wrong: RunspacePoolStateName = 'Open';
  void opened;
  void wrong;
}

export function input(): void {
  // Input is what the writer accepts: plain JavaScript as well as PSValues.
  const v: PSValue = 'x';
  const i: PSInput[] = [v, 1n, new Date(), [1, 'a'], { k: true }, new Map([['a', 1]]), undefined];
  pool.invoke({ command: 'Get-Item', parameters: { Path: 'C:\\', Filter: ['*.txt'], Options: { Depth: 2 } }, arguments: i });
  pool.invoke('$input', { input: i });
  // @ts-expect-error a function is no CLIXML value
  pool.invoke({ command: 'x', parameters: { f: () => 1 } });
}

export async function targets(): Promise<void> {
  // Every entry point takes the same Target: a string, a ConnectionOptions object or a WSManClient.
  const all: Target[] = ['server1', 'https://server1:5986/wsman', { endpoint: 'server1', allowUnencrypted: true }, client];
  const object: ConnectionOptions = { endpoint: 'server1', operationTimeoutMs: 5_000 };
  for (const t of [...all, object]) {
    await openSession(t);
    await connectSession(t, 'SHELL-ID');
    await getRemoteSessions(t);
    await openShell(t);
    await runCommand(t, 'hostname');
    for await (const _ of wmiQuery(t, 'SELECT * FROM Win32_Service')) break;
    await wmiGet(t, 'Win32_Service', { Name: 'WinRM' });
    await wmiInvoke(t, 'Win32_Service', 'StopService', { Name: 'WinRM' });
    await invokeCommand(t, 'hostname');
    for await (const r of invokeOnHosts([t], 'hostname')) expectTypeOf(r.host).toEqualTypeOf<Target>();
    await checkHost(t);
  }
  // Options are flat and the same beside each entry point (PowerShell's -Credential, -UseSSL).
  await openSession('server1', { credential: { username: 'u', password: 'p' }, useSsl: true });
  await runCommand('server1', 'hostname', [], { credential: { username: 'u', password: 'p' }, useSsl: true });
  await getRemoteSessions('server1', { credential: { username: 'u', password: 'p' }, useSsl: true });
  // @ts-expect-error the CLI's nested connection options are gone
  await openSession('server1', { connection: { allowUnencrypted: true } });
  // @ts-expect-error a number is no target
  await openShell(5985);
}

export async function names(): Promise<void> {
  // PowerShell's names (Receive-PSSession, -InDisconnectedSession)
  await pool.receive('PIPELINE-ID');
  pool.invoke('1', { inDisconnectedSession: true });
  // @ts-expect-error renamed to receive()
  await pool.attach('PIPELINE-ID');
  // @ts-expect-error renamed to inDisconnectedSession
  pool.invoke('1', { holdOutput: true });
  // @ts-expect-error the carrier factory is not public (invokeCommand takes a target)
  psremote.wsmanCarrier('server1');
  // @ts-expect-error InvocationResult's fields are named as the streams (error, warning)
  void (await pool.invoke('1').result()).errors;
}

export function carrierNames(c: PsrpCarrier): void {
  // A carrier's words are PowerShell's too: Receive-PSSession, -InDisconnectedSession.
  expectTypeOf(c.receive).toEqualTypeOf<((pipelineId: string, signal?: AbortSignal) => Promise<void>) | undefined>();
  expectTypeOf(c.inDisconnectedSession).toEqualTypeOf<((pipelineId: string) => void) | undefined>();
  // @ts-expect-error renamed to inDisconnectedSession
  void c.holdOutput;
  // @ts-expect-error renamed to receive
  void c.attachPipeline;
}

export function errors(e: unknown): void {
  if (e instanceof PsRemoteError) expectTypeOf(e.code).toEqualTypeOf<psremote.ErrorCode>();
}

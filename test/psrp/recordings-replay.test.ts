// Our ClientRunspacePool against real Windows server output: for each pypsrp
// recording, the client performs the actions the recorded client did (open,
// connect, create pipelines, key exchange, reset) with the recorded ids, and
// the recorded server payloads are fed to it in order. Every server message
// must be accepted and leave the pool and pipelines in the recorded states.

import { createPublicKey } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  ClientGetCommandMetadata,
  ClientPowerShell,
  ClientRunspacePool,
  Defragmenter,
  MessageType,
  PSInvocationState,
  RunspacePoolState,
  decodeBody,
  decodeMessage,
  messageText,
  type PsrpEvent,
} from '../../src/psrp/index.js';
import { readSecureString } from '../../src/psrp/clixml-bridge.js';
import { recordedPayloads, recordingFiles } from './helpers/recordings.js';
import { SESSION_KEY_VECTORS, fixtureKey } from './helpers/keys.js';

const privateKey = fixtureKey();
const keyPair = { privateKey, publicKey: createPublicKey(privateKey) };

interface Replay {
  pools: ClientRunspacePool[];
  events: PsrpEvent[];
  pipelineStates: Map<string, number>;
}

function replay(file: string): Replay {
  const pools = new Map<string, ClientRunspacePool>();
  const all: ClientRunspacePool[] = [];
  const c2s = new Map<string, Defragmenter>();
  const events: PsrpEvent[] = [];
  const pipelineStates = new Map<string, number>();
  for (const p of recordedPayloads(file)) {
    const shell = p.shellId ?? '';
    if (p.direction === 'client->server') {
      // Mirror the recorded client's actions on our pool.
      let d = c2s.get(shell);
      if (d === undefined || p.element === 'creationXml' || p.element === 'connectXml') c2s.set(shell, (d = new Defragmenter()));
      const msgs = d.receive(p.bytes).map((m) => decodeMessage(m.data));
      for (const msg of msgs) {
        const pool = pools.get(shell);
        switch (msg.messageType) {
          case MessageType.InitRunspacePool: {
            const body = decodeBody(msg.messageType, messageText(msg)) as { minRunspaces: number; maxRunspaces: number };
            const np = new ClientRunspacePool({
              runspacePoolId: msg.runspacePoolId,
              keyPair,
              minRunspaces: body.minRunspaces,
              maxRunspaces: body.maxRunspaces,
              firstCallId: 0n, // pypsrp numbered its calls from 0
            });
            np.open();
            pools.set(shell, np);
            all.push(np);
            break;
          }
          case MessageType.ConnectRunspacePool: {
            const np = new ClientRunspacePool({ runspacePoolId: msg.runspacePoolId, keyPair });
            np.connect();
            pools.set(shell, np);
            all.push(np);
            break;
          }
          case MessageType.CreatePipeline: {
            const existing = pool!.pipelines.get(msg.pipelineId);
            if (existing !== undefined) existing.start(); // pypsrp invokes the same pipeline again
            else new ClientPowerShell(pool!, { pipelineId: msg.pipelineId }).addScript('replayed').start();
            break;
          }
          case MessageType.GetCommandMetadata:
            new ClientGetCommandMetadata(pool!, { pipelineId: msg.pipelineId }).start();
            break;
          case MessageType.PublicKey:
            pool!.exchangeKey();
            break;
          case MessageType.ResetRunspaceState: {
            const ci = pool!.resetRunspaceState();
            expect(ci).toBe((decodeBody(msg.messageType, messageText(msg)) as { ci: bigint }).ci);
            break;
          }
          default:
            break; // input, host responses, capability: nothing to mirror for the server side
        }
      }
      // Our own requests are not sent anywhere; drain them.
      for (const pool of pools.values()) while (pool.dataToSend(1 << 20) !== undefined);
    } else {
      const pool = pools.get(shell);
      expect(pool, `${file}#${p.exchange}: a pool for shell ${shell}`).toBeDefined();
      pool!.receiveData(p.bytes);
      for (let e = pool!.nextEvent(); e !== undefined; e = pool!.nextEvent()) {
        events.push(e);
        if (e.type === 'PipelineState' && e.pipelineId !== undefined) pipelineStates.set(e.pipelineId, e.state);
      }
    }
  }
  return { pools: all, events, pipelineStates };
}

/** Every SecureString anywhere inside a value (a PSCredential output holds one as Password). */
function findSecureStrings(v: unknown, seen = new Set<unknown>()): string[] {
  const s = readSecureString(v);
  if (s !== undefined) return [s];
  if (typeof v !== 'object' || v === null || seen.has(v)) return [];
  seen.add(v);
  const children = v instanceof Map ? [...v.values()] : Array.isArray(v) ? v : Object.values(v);
  return children.flatMap((c) => findSecureStrings(c, seen));
}

const FAILED = new Set([
  'test_client_copy_file_failure.yml',
  'test_client_execute_ps_failure.yml',
  'test_client_fetch_file_fail_dir.yml',
  'test_client_fetch_file_fail_missing.yml',
  'test_psrp_with_jea_configuration.yml',
]);

describe('replaying real server output into ClientRunspacePool', () => {
  for (const file of recordingFiles().filter((f) => recordedPayloads(f).length > 0)) {
    test(file, () => {
      const r = replay(file);
      expect(r.pools.length).toBeGreaterThan(0);
      for (const pool of r.pools) {
        expect(pool.state).toBe(RunspacePoolState.Opened);
        expect(pool.theirCapability?.psVersion).toBe('2.0');
        for (const pipe of pool.pipelines.values()) {
          if (r.pipelineStates.has(pipe.pipelineId)) expect(pipe.state).toBe(r.pipelineStates.get(pipe.pipelineId));
        }
      }
      const finals = [...r.pipelineStates.values()];
      if (FAILED.has(file)) expect(finals).toContain(PSInvocationState.Failed);
      else expect(finals.every((s) => s === PSInvocationState.Completed)).toBe(true);
    });
  }

  test('the key exchange recording: our client decrypts the real session key and every SecureString', () => {
    const r = replay(SESSION_KEY_VECTORS.recording.path.split('/').pop()!);
    const pool = r.pools[0]!;
    expect(pool.hasSessionKey).toBe(true);
    expect(pool.secureStringCipher!.decryptFromBase64(SESSION_KEY_VECTORS.securestrings[0]!.ss_base64)).toBe(
      SESSION_KEY_VECTORS.securestrings[0]!.plaintext,
    );
    const secure = r.events.filter((e) => e.type === 'PipelineOutput').flatMap((e) => findSecureStrings((e as { value: unknown }).value));
    expect(secure).toEqual(
      SESSION_KEY_VECTORS.securestrings.filter((s) => s.psrp_message === 'PIPELINE_OUTPUT').map((s) => s.plaintext),
    );
    const hostCalls = r.events.filter((e) => e.type === 'PipelineHostCall');
    expect(hostCalls.length).toBe(16);
    expect(hostCalls[0]).toMatchObject({ ci: 1n, methodName: 'ReadLine', methodId: 11 });
  });

  test('the reset recording: RUNSPACE_AVAILABILITY answers our RESET_RUNSPACE_STATE call id', () => {
    const r = replay('test_psrp_reset_runspace_state.yml');
    expect(r.events.filter((e) => e.type === 'RunspaceAvailability')).toMatchObject([{ ci: 0n, response: true }]);
    expect(r.pools[0]!.pendingCalls.size).toBe(0);
  });

  test('the connect recording: SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA open a connected pool', () => {
    const r = replay('test_psrp_disconnect_runspaces.yml');
    expect(r.pools.length).toBe(4);
    expect(r.events.filter((e) => e.type === 'RunspacePoolInitData')).toMatchObject([
      { minRunspaces: 1, maxRunspaces: 1 },
      { minRunspaces: 1, maxRunspaces: 1 },
    ]);
  });
});

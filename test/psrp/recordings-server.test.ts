// Our ServerRunspacePool against real client input: every client->server
// message of every pypsrp recording (pypsrp talking to Windows) is fed to it,
// while it mirrors the actions the recorded Windows server took (open, host
// calls, session key, availability answers, final pipeline states). It must
// accept all of it.

import { describe, expect, test } from 'vitest';
import {
  Defragmenter,
  MessageType,
  PSInvocationState,
  RunspacePoolState,
  ServerRunspacePool,
  decodeBody,
  decodeMessage,
  messageText,
  type PsrpEvent,
  type PSValue,
} from '../../src/psrp/index.js';
import { recordedPayloads, recordingFiles } from './helpers/recordings.js';
import { SESSION_KEY_VECTORS } from './helpers/keys.js';
import { readSecureString } from '../../src/psrp/clixml-bridge.js';

function replayServer(file: string): { servers: ServerRunspacePool[]; events: PsrpEvent[] } {
  const servers = new Map<string, ServerRunspacePool>();
  const all: ServerRunspacePool[] = [];
  const s2c = new Map<string, Defragmenter>();
  const events: PsrpEvent[] = [];
  const drain = (s: ServerRunspacePool): void => {
    while (s.dataToSend(1 << 20) !== undefined);
  };
  for (const p of recordedPayloads(file)) {
    const shell = p.shellId ?? '';
    if (p.direction === 'client->server') {
      if (p.element === 'creationXml' || p.element === 'connectXml') {
        // A new client: a fresh server pool for a Create; for a Connect, the pool that exists.
        if (p.element === 'creationXml' || !servers.has(shell)) {
          const s = new ServerRunspacePool();
          servers.set(shell, s);
          all.push(s);
        }
        s2c.set(shell, new Defragmenter());
      }
      const server = servers.get(shell)!;
      server.receiveData(p.bytes);
      for (let e = server.nextEvent(); e !== undefined; e = server.nextEvent()) {
        events.push(e);
        if ((e.type === 'CreatePipeline' || e.type === 'GetCommandMetadata') && e.pipelineId !== undefined) {
          server.pipelines.get(e.pipelineId)!.start();
        }
      }
      drain(server);
    } else {
      const server = servers.get(shell)!;
      for (const m of s2c.get(shell)!.receive(p.bytes)) {
        const msg = decodeMessage(m.data);
        const text = messageText(msg);
        const pipe = server.pipelines.get(msg.pipelineId);
        switch (msg.messageType) {
          case MessageType.RunspacePoolState:
            if (server.state === RunspacePoolState.NegotiationSucceeded) server.open();
            break;
          case MessageType.RunspacePoolInitData:
            server.acceptConnect();
            break;
          case MessageType.EncryptedSessionKey:
            server.sendSessionKey(new Uint8Array(Buffer.from(SESSION_KEY_VECTORS.aes_256_session_key_hex, 'hex')));
            break;
          case MessageType.RunspaceAvailability: {
            const b = decodeBody(msg.messageType, text) as { ci: bigint; response: boolean | bigint };
            server.runspaceAvailability(b.ci, b.response);
            break;
          }
          case MessageType.PipelineHostCall: {
            const b = decodeBody(msg.messageType, text) as { ci: bigint; methodId: number; methodName: string; parameters: PSValue[] };
            expect(pipe!.hostCall(b.methodId, b.methodName, b.parameters)).toBe(b.ci);
            break;
          }
          case MessageType.PipelineState: {
            const b = decodeBody(msg.messageType, text) as { state: number; error?: PSValue };
            if (pipe === undefined) break;
            if (b.state === PSInvocationState.Completed) pipe.complete();
            else if (b.state === PSInvocationState.Failed) pipe.fail(b.error);
            else if (b.state === PSInvocationState.Stopped) pipe.stop(b.error);
            break;
          }
          default:
            break;
        }
      }
      drain(server);
    }
  }
  return { servers: all, events };
}

describe('real client input into ServerRunspacePool', () => {
  for (const file of recordingFiles().filter((f) => recordedPayloads(f).length > 0)) {
    test(file, () => {
      const { servers, events } = replayServer(file);
      expect(servers.length).toBeGreaterThan(0);
      for (const s of servers) expect(s.state).toBe(RunspacePoolState.Opened);
      expect(events[0]).toMatchObject({ type: 'SessionCapability', protocolVersion: expect.stringMatching(/^2\.[23]$/) });
    });
  }

  test('the key exchange recording: the server reads the SecureStrings the client sent', () => {
    const { servers, events } = replayServer('test_psrp_pshost_ui_mocked_methods.yml');
    expect(servers[0]!.hasSessionKey).toBe(true);
    const responses = events.filter((e) => e.type === 'PipelineHostResponse');
    expect(responses).toMatchObject([
      { ci: 1n, methodName: 'ReadLine', result: 'ReadLine response' },
      { ci: 2n, methodName: 'ReadLineAsSecureString' },
      { ci: 3n, methodName: 'Prompt' },
      { ci: 4n, methodName: 'PromptForCredential2' },
      { ci: 5n, methodName: 'PromptForChoice' },
    ]);
    expect(readSecureString((responses[1] as { result: unknown }).result)).toBe('ReadLineAsSecureString response');
    expect(servers[0]!.pipelines.size).toBe(0);
  });

  test('input streaming: the server sees every PIPELINE_INPUT and the end of input', () => {
    const { events } = replayServer('test_psrp_run_protocol_version_2.2.yml');
    expect(events.map((e) => e.type)).toEqual([
      'SessionCapability', 'InitRunspacePool', 'CreatePipeline', 'PipelineInput', 'PipelineInput', 'PipelineInput', 'EndOfPipelineInput',
    ]);
  });
});

// The waiting of the endpoint's long polls: a Receive is held until output
// comes or its OperationTimeout passes (then it is answered with the timeout
// fault, as Windows does), and a Send is held while what it feeds is backed up.

import type { IncomingMessage } from 'node:http';
import { childElement, childElements, attribute, textContent } from '../util/xml.js';
import { NS } from '../wsman/namespaces.js';
import { parseDuration } from '../wsman/envelope.js';
import type { ParsedEnvelope } from '../wsman/reader.js';
import type { OutStream } from '../wsman/server-envelopes.js';
import { FAULTS } from './responses.js';
import { takeOut, takeOutPart, type Outbox } from './commands.js';
import { Fault, type Shell, type ShellTable } from './shell-table.js';

/** What a Receive hands over: output, and whether the command is over. */
export interface Taken {
  readonly streams: readonly OutStream[];
  readonly done: { readonly exitCode: number } | undefined;
}

/**
 * Holds a Send while what it feeds is backed up: the command's output is at its
 * limit (nobody receives) or its input is not being read (the child or the engine
 * is itself paused), so that input cannot pile up without bound either. True once
 * there is room; false when the Send's OperationTimeout passed first.
 */
export async function waitForRoom(table: ShellTable, shell: Shell, env: ParsedEnvelope, req: IncomingMessage, o: { limit: number; maxOperationTimeoutMs: number }): Promise<boolean> {
  const limit = o.limit;
  const sendEl = childElement(env.body, NS.shell, 'Send');
  // Only a Send that carries data is held: an empty one (stdin's End alone, as runCommand
  // sends before its first Receive) adds no input, and holding it while the output is at its
  // limit would wait for a Receive that its client sends only after this answer.
  const cids = (sendEl ? childElements(sendEl, NS.shell, 'Stream') : []).filter((st) => textContent(st).trim() !== '').map((st) => attribute(st, 'CommandId')?.toUpperCase());
  const backed = () =>
    cids.some((cid) => {
      const c = cid ? shell.commands.get(cid) : undefined;
      const out = c?.out ?? shell.poolOut;
      const input = shell.engine ? (shell.engine.inputBacklog?.() ?? 0) : (c?.child?.stdin?.writableLength ?? 0);
      return out.bytes >= out.limit || input >= limit;
    });
  const opEl = env.header && childElement(env.header, NS.wsman, 'OperationTimeout');
  const until = Date.now() + Math.min((opEl && parseDuration(textContent(opEl))) || 60_000, o.maxOperationTimeoutMs);
  while (backed()) {
    if (Date.now() >= until || req.socket.destroyed || !table.has(shell.id)) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export async function takeOutput(
table: ShellTable,
shell: Shell,
out: Outbox,
env: ParsedEnvelope,
commandId: string | undefined,
req: IncomingMessage,
options: { readonly maxOperationTimeoutMs: number; readonly maxReceiveBytes: number },
): Promise<Taken | Fault> {
  const header = env.header;
  const opEl = header && childElement(header, NS.wsman, 'OperationTimeout');
  const opMs = Math.min((opEl && parseDuration(textContent(opEl))) || 60_000, options.maxOperationTimeoutMs);
  if (out.chunks.length === 0 && !out.done) {
    shell.pendingReceives++;
    await new Promise<void>((resolve) => {
      // Every way out removes the others: a keep-alive socket carries many long polls,
      // and a 'close' listener left behind per poll would pile up on it.
      const done = () => {
        table.clock.clearTimeout(timer);
        req.socket.off('close', done);
        resolve();
      };
      const timer = table.clock.setTimeout(done, opMs);
      out.waiters.push(done);
      req.socket.once('close', done);
    });
    shell.pendingReceives--;
    shell.lastActivity = table.now();
    // A little more output often follows at once: let it join this answer.
    if (out.chunks.length > 0) await new Promise((r) => setImmediate(r));
  }
  if (req.socket.destroyed || table.closed) return new Fault(FAULTS.timedOut);
  if (out.chunks.length === 0 && !out.done) return new Fault(FAULTS.timedOut);
  const taken: OutStream[] = [];
  let bytes = 0;
  while (out.chunks.length > 0 && (taken.length === 0 || bytes + out.chunks[0]!.data.length <= options.maxReceiveBytes)) {
    const c = takeOut(out);
    taken.push(c);
    bytes += c.data.length;
  }
  // A cmd command's output is bytes, not PSRP fragments: fill the answer with part of the next piece
  // (the child's pipe gives 64 KiB pieces, which a 96 KiB answer otherwise takes one at a time).
  if (shell.kind === 'cmd' && commandId && out.chunks.length > 0 && bytes < options.maxReceiveBytes) {
    const c = takeOutPart(out, options.maxReceiveBytes - bytes);
    taken.push(c);
    bytes += c.data.length;
  }
  shell.lastActivity = table.now();
  if (!commandId) return { streams: taken, done: undefined };
  const finished = out.done && out.chunks.length === 0;
  if (finished && shell.kind === 'cmd') {
    taken.push({ name: 'stdout', commandId: commandId.toUpperCase(), data: new Uint8Array(), end: true });
    taken.push({ name: 'stderr', commandId: commandId.toUpperCase(), data: new Uint8Array(), end: true });
  }
  // Windows reports ExitCode 0 for a finished PowerShell command too.
  return { streams: taken, done: finished ? { exitCode: shell.kind === 'cmd' ? (out.exitCode ?? 0) : 0 } : undefined };
}

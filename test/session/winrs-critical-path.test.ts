// A WinRS command on a shell already open: Command and Receive (Done) are on
// the caller's critical path; the Signal terminate that releases the command on
// the server goes out after the exit code is known, off that path (as
// runCommand's Delete does). Shown by the local endpoint's request log: the
// Signal is held back by the endpoint (fault injection `delay`), and the exit
// code arrives while it is still held.

import { afterEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openShell } from '../../src/winrm/winrs.js';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { HttpTransport } from '../../src/transport/http/transport.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

test('Command + Receive(Done) on the critical path; Signal terminate after, off it', async () => {
  ep = await startEndpoint({
    cmdCommands: {
      greet: (ctx) => {
        ctx.stdout('hello\r\n');
        return 7;
      },
    },
  });
  const client = new WSManClient(new HttpTransport({ endpoint: ep.url }), { operationTimeoutMs: 5000 });
  const shell = await openShell(client);
  try {
    // Warm up: one command to its end, so the log holds only what the second one sends.
    const first = await shell.run('greet');
    await first.exitCode;
    await first.signalled;
    ep.faults.add({ operation: 'Signal', action: { type: 'delay', ms: 1500 } });
    const from = ep.log.length;
    const cmd = await shell.run('greet');
    const ops = () => ep!.log.slice(from).map((e) => `${e.operation} ${e.status}`);
    expect(await cmd.exitCode).toBe(7);
    expect((await cmd.stdout.collect()).toString()).toBe('hello\r\n');
    // The exit code is known: the endpoint has answered Command and Receive only.
    expect(ops()).toEqual(['Command 200', 'Receive 200']);
    expect(shell.core.command(cmd.commandId)?.phase).toBe('Done');
    await cmd.signalled;
    expect(ops()).toEqual(['Command 200', 'Receive 200', 'Signal 200']);
    expect(ep.log.at(-1)).toMatchObject({ operation: 'Signal', commandId: cmd.commandId.toUpperCase() });
    // Released on both sides.
    expect(shell.core.command(cmd.commandId)).toBeUndefined();
    expect(ep.shells()[0]!.commands).toEqual([]);
  } finally {
    await shell.close();
    await client.close();
  }
});

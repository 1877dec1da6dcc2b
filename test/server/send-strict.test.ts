// A Send whose stream is not base64 is refused with InvalidParameter, as
// Windows refuses it, and none of its bytes reach the command. Node's own
// decoder skips characters outside the alphabet: "aGV*sbG8=" would have been
// handed to the command as "hello", a silent wrong answer.
import { randomUUID } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openShell } from '../../src/winrm/winrs.js';
import { build } from '../../src/wsman/envelope.js';
import { RESOURCE } from '../../src/wsman/namespaces.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

test('a Send with a stream that is not base64 faults InvalidParameter and delivers nothing; a good one after it is delivered', async () => {
  const got: Buffer[] = [];
  ep = await startEndpoint({
    cmdCommands: {
      collect: async (ctx) => {
        for await (const d of ctx.stdin) got.push(Buffer.from(d));
        ctx.stdout(Buffer.concat(got).toString('utf8'));
        return 0;
      },
    },
  });
  const shell = await openShell(ep.url);
  const cmd = await shell.run('collect');
  const send = (streams: Parameters<typeof build.send>[2]) =>
    build.send({ to: ep!.url, resourceUri: RESOURCE.cmdShell, messageId: randomUUID().toUpperCase() }, shell.shellId, streams);
  const good = send([{ name: 'stdin', commandId: cmd.commandId, data: Buffer.from('hello') }]);
  expect(good).toContain('aGVsbG8=');
  for (const bad of ['aGV*sbG8=', 'aGVsbG8', 'aGVs-bG8=']) {
    const r = await fetch(ep.url, { method: 'POST', body: good.replace('aGVsbG8=', bad), headers: { 'content-type': 'application/soap+xml;charset=UTF-8' } });
    const body = await r.text();
    expect(r.status).toBe(500);
    expect(body).toContain('w:InvalidParameter');
    expect(body).toContain('rsp:Stream stdin is not valid base64');
  }
  expect(got).toEqual([]);
  await cmd.sendInput(' world', { end: true });
  expect((await cmd.stdout.collect()).toString()).toBe(' world');
  expect(await cmd.exitCode).toBe(0);
  await shell.close();
});

// How stdin from an iterable travels: the end of input rides on the Send of the
// last bytes when it is already known (piped input, a file, an array), and is a
// Send of its own only when it comes later (a terminal, a slow producer). One
// Send fewer, and no Send after a command that read its input and exited (which
// Windows answers with a fault and a replayed recording does not hold).
import { Readable } from 'node:stream';
import { afterEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { runCommand } from '../../src/winrm/winrs.js';
import { until } from '../helpers/until.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

async function collecting(): Promise<LocalEndpoint> {
  return startEndpoint({
    cmdCommands: {
      collect: async (ctx) => {
        const got: Buffer[] = [];
        for await (const d of ctx.stdin) got.push(Buffer.from(d));
        ctx.stdout(Buffer.concat(got).toString('utf8'));
        return 0;
      },
    },
  });
}

test('a Readable whose end is known with its data: one Send, End on it', async () => {
  ep = await collecting();
  const r = await runCommand(ep.url, 'collect', [], { stdin: Readable.from([Buffer.from('one '), Buffer.from('two')]), awaitClose: true });
  expect(r).toMatchObject({ stdout: 'one two', exitCode: 0 });
  // Readable.from yields the chunks in one turn each: the first has more behind it, the second the end.
  expect(ep.stats.requests.Send).toBe(2);
});

test('a sync iterable (an array) works as before, its end on the last Send', async () => {
  ep = await collecting();
  const r = await runCommand(ep.url, 'collect', [], { stdin: ['a', 'b', 'c'], awaitClose: true });
  expect(r).toMatchObject({ stdout: 'abc', exitCode: 0 });
  expect(ep.stats.requests.Send).toBe(3);
});

test('an end that comes later than the last bytes is a Send of its own', async () => {
  ep = await collecting();
  let release!: () => void;
  const later = new Promise<void>((r) => (release = r));
  async function* slow(): AsyncGenerator<string> {
    yield 'typed';
    await later;
  }
  const run = runCommand(ep.url, 'collect', [], { stdin: slow(), awaitClose: true });
  await until(() => ep!.stats.requests.Send === 1, 'the first Send');
  release();
  const r = await run;
  expect(r).toMatchObject({ stdout: 'typed', exitCode: 0 });
  expect(ep.stats.requests.Send).toBe(2);
});

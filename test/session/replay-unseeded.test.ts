// Recordings with several pipelines in one pool, replayed through the public
// session API with nothing seeded (no recordingIds): the client picks its own
// RunspacePool, Shell and Pipeline ids, the replay server maps them, and each
// pipeline gets the recorded output and final state. Strict where the recorded
// pipeline is a script psremote sends as is; lenient where pypsrp sent a
// command with parameters (psremote's invoke sends script text).
import { afterEach, expect, test } from 'vitest';
import { startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { openSession } from '../../src/session/open.js';
import { toPlain } from '../../src/clixml/plain.js';
import { recording } from '../helpers/recordings.js';
import { recordedPipelines, scriptOf } from '../helpers/replay-cli.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test.each(['test_psrp_with_history.yml', 'test_psrp_with_no_history.yml', 'test_psrp_multiple_invocations.yml', 'test_psrp_with_jea_configuration.yml'])('%s', async (file) => {
  const rec = recording(file);
  const pipelines = recordedPipelines(rec);
  const commands = rec.exchanges.filter((x) => x.operation === 'Command').length;
  // pypsrp may invoke one PowerShell object twice (one pipeline id, two Commands).
  const runs = Array.from({ length: commands }, (_, i) => pipelines[Math.min(i, pipelines.length - 1)]!);
  const exact = runs.every((p) => scriptOf(p).exact);
  server = await startReplayServer({ recording: rec, match: exact ? 'strict' : 'lenient', holdExhaustedReceiveMs: 100 });
  const pool = await openSession(server.url, { configurationName: rec.exchanges[0]!.resourceUri!.split('/').pop()! });
  const states: string[] = [];
  for (const p of runs) {
    const inv = pool.invoke(scriptOf(p).script);
    const r = await inv.result().catch(() => undefined);
    states.push(inv.state);
    if (r && pipelines.length === commands) expect(r.output.map((o) => JSON.stringify(toPlain(o)))).toEqual(p.output);
  }
  await pool.close();
  expect(states).toEqual(runs.map((p) => p.state));
  expect(server.unmatched).toEqual([]);
});

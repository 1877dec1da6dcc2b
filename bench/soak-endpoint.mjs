// The endpoint side of bench/soak.bench.ts, in its own process so that its
// memory is measured apart from the client's: the local endpoint (compiled
// dist/, scripted engine) with a WinRS command `one` run in-process (spawning
// /bin/sh 100,000 times would measure fork, not psremote). It answers the
// parent's 'sample' messages with its heap after a full GC, RSS, CPU time and
// stats. Started with --expose-gc.
import { startEndpoint } from '../dist/server/endpoint.js';

const ep = await startEndpoint({
  quotas: { maxShellsPerUser: 100_000 },
  // bench/fan-out.bench.ts opens more connections at once than the default limit (from the memory) allows.
  ...(process.env.ENDPOINT_MAX_CONNECTIONS ? { maxConnections: Number(process.env.ENDPOINT_MAX_CONNECTIONS) } : {}),
  cmdCommands: {
    one: (ctx) => {
      ctx.stdout('1\r\n');
      return 0;
    },
  },
});
process.on('message', (m) => {
  if (m === 'close') {
    void ep.close().then(() => process.exit(0));
    return;
  }
  globalThis.gc();
  globalThis.gc();
  const s = ep.stats;
  const cpu = process.cpuUsage();
  process.send({
    heapUsed: process.memoryUsage().heapUsed,
    rss: process.memoryUsage().rss,
    cpuUs: cpu.user + cpu.system,
    stats: { openShells: s.openShells, commandsHeld: s.commandsHeld, bufferedBytes: s.bufferedBytes, enginePipelines: s.enginePipelines, recentlyDone: s.recentlyDone, logEntries: s.logEntries, connectionsDropped: s.connectionsDropped },
  });
});
process.send({ url: ep.url });

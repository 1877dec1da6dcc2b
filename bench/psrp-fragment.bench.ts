// PSRP fragmenting/reassembly and a full client<->server pipeline round trip in memory.
import { Bench } from 'tinybench';
import { Defragmenter } from '../src/psrp/fragment.js';
import { Fragmenter } from '../src/psrp/fragmenter.js';
import { ClientPowerShell, ClientRunspacePool, ServerRunspacePool } from '../src/psrp/index.js';

const big = new Uint8Array(1024 * 1024).fill(0x41);
const small = Array.from({ length: 1000 }, (_, i) => new TextEncoder().encode(`<S>output line ${i}</S>`));

const bench = new Bench({ time: 1000 });
bench
  .add('fragment + reassemble 1 MiB message, 32 KiB payloads', () => {
    const f = new Fragmenter();
    f.add(big);
    const d = new Defragmenter();
    let n = 0;
    for (let p = f.take(32768); p !== undefined; p = f.take(32768)) n += d.receive(p).length;
    if (n !== 1) throw new Error('lost');
  })
  .add('pack + reassemble 1000 small messages, 500 KiB payloads', () => {
    const f = new Fragmenter();
    for (const m of small) f.add(m);
    const d = new Defragmenter();
    let n = 0;
    for (let p = f.take(512000); p !== undefined; p = f.take(512000)) n += d.receive(p).length;
    if (n !== 1000) throw new Error('lost');
  })
  .add('open pool + pipeline with 100 string outputs (client and server, in memory)', () => {
    const rpid = '11111111-2222-4333-8444-555555555555';
    const client = new ClientRunspacePool({ runspacePoolId: rpid });
    const server = new ServerRunspacePool();
    const pump = (a: ClientRunspacePool | ServerRunspacePool, b: ClientRunspacePool | ServerRunspacePool): number => {
      let n = 0;
      for (let p = a.dataToSend(512000); p !== undefined; p = a.dataToSend(512000)) {
        b.receiveData(p.data);
        while (b.nextEvent() !== undefined) n++;
      }
      return n;
    };
    client.open();
    pump(client, server);
    server.open();
    pump(server, client);
    new ClientPowerShell(client, { pipelineId: '66666666-2222-4333-8444-555555555555' }).addCommand('Get-Thing').start();
    pump(client, server);
    const sp = [...server.pipelines.values()][0]!;
    sp.start();
    for (let i = 0; i < 100; i++) sp.writeOutput(`line ${i}`);
    sp.complete();
    if (pump(server, client) !== 101) throw new Error('lost');
  });

await bench.run();
console.table(bench.table());

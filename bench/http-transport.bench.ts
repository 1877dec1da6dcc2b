// HTTP transport round trips over loopback: sequential Identify on one pinned
// socket, and a whole WinRS runCommand (Create, Command, Receive, Signal,
// Delete) against the replay server with a real recording. Both servers write
// each response in one piece with TCP_NODELAY (dependencies note, loopback
// latency trap).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bench } from 'tinybench';
import { HttpTransport } from '../src/transport/http/transport.js';
import { WSManClient } from '../src/winrm/wsman-client.js';
import { runCommand } from '../src/winrm/winrs.js';
import { startReplayServer } from '../src/server/replay.js';
import { loadRecording } from '../src/server/recording.js';

const IDENTIFY =
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body><wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor></wsmid:IdentifyResponse></s:Body></s:Envelope>';
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': IDENTIFY.length }).end(IDENTIFY));
});
server.on('connection', (s) => s.setNoDelay(true));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wsman`;
const client = new WSManClient(new HttpTransport({ endpoint: url }));

const rec = loadRecording('fixtures/upstream/adstep-WinRMSharp/src/WinRMSharp.Tests/Data/Sessions/ClientRunCommand.yml');

const bench = new Bench({ time: 2000 });
bench
  .add('Identify round trip (WSManClient, one pinned socket)', async () => {
    await client.identify();
  })
  .add('runCommand: Create+Command+Receive+Signal+Delete (replay server, new client each)', async () => {
    const replay = await startReplayServer({ recording: rec });
    try {
      const r = await runCommand(replay.url, 'ipconfig', ['/all']);
      if (r.exitCode !== 0) throw new Error('bad exit');
    } finally {
      await replay.close();
    }
  });
await bench.run();
console.table(bench.table());
await client.close();
server.close();

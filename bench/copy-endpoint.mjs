// The endpoint side of bench/file-transfer.bench.ts, in its own process (as
// `psremote serve --engine real` runs) so that its CPU and memory are measured
// apart from the client's, but with the limits the bench varies: ENVELOPE_KB
// (MaxEnvelopeSizekb, default 500 as Windows) and RECEIVE_KB (raw bytes in one
// ReceiveResponse, default 96). argv[2] is the engine command line (JSON array).
import { startEndpoint } from '../dist/server/endpoint.js';

const ep = await startEndpoint({
  realEngine: JSON.parse(process.argv[2]),
  maxEnvelopeSizeKb: Number(process.env.ENVELOPE_KB ?? 500),
  maxReceiveBytes: Number(process.env.RECEIVE_KB ?? 96) * 1024,
  logLimit: 100,
});
process.on('message', (m) => {
  if (m === 'close') void ep.close().then(() => process.exit(0));
});
process.send({ url: ep.url });

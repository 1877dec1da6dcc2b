// Child process for fan-out-quota.test.ts: invokeOnHosts over the endpoint URL
// given N times (or a list of URLs), at a throttle of N, then prints one JSON summary line and does
// nothing else. It must exit by itself: nothing here closes or exits
// explicitly, so a transport, socket or timer left behind keeps it alive.
import { invokeOnHosts } from '../../../dist/session/invoke.js';

// `URL N`: the URL N times; or one JSON array of URLs.
const urls = process.argv[3] === undefined ? JSON.parse(process.argv[2]) : Array.from({ length: Number(process.argv[3]) }, () => process.argv[2]);
const n = urls.length;
// Each target is a ConnectionOptions object; `i` rides along to name it in the summary.
const hosts = urls.map((url, i) => ({ i, endpoint: url, operationTimeoutMs: 10_000 }));
const results = [];
for await (const r of invokeOnHosts(hosts, 'hostname', { throttleLimit: n })) {
  results.push(r.ok ? { i: r.host.i, ok: true, output: r.result.output } : { i: r.host.i, ok: false, code: r.error.code, kind: r.error.kind, quota: r.error.quota, operation: r.error.operation, message: r.error.message });
}
process.stdout.write(`${JSON.stringify(results)}\n`);

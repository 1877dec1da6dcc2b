// Drives test/auth/kerberos/gss-peer.py (python3-gssapi over MIT) over stdin/stdout.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SYSTEM_PYTHON } from './kdc.js';

export const GSS_PEER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'auth', 'kerberos', 'gss-peer.py');

const b64 = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('base64') : undefined);
export const unb64 = (s: string | null | undefined): Uint8Array => new Uint8Array(Buffer.from(s ?? '', 'base64'));

export interface GssPeer {
  call(op: string, fields?: Record<string, Uint8Array | string | boolean | undefined>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export function startGssPeer(env: NodeJS.ProcessEnv): GssPeer {
  const child: ChildProcessWithoutNullStreams = spawn(SYSTEM_PYTHON, [GSS_PEER_SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w(JSON.stringify({ error: `gss-peer exited with ${code}: ${stderr}` }));
  });
  return {
    call: (op, fields = {}) =>
      new Promise((resolve, reject) => {
        const msg: Record<string, unknown> = { op };
        for (const [k, v] of Object.entries(fields)) msg[k] = v instanceof Uint8Array ? b64(v) : v;
        const timer = setTimeout(() => reject(new Error(`gss-peer ${op}: no answer in 15 s; stderr: ${stderr}`)), 15_000);
        waiting.push((l) => {
          clearTimeout(timer);
          resolve(JSON.parse(l) as Record<string, unknown>);
        });
        child.stdin.write(JSON.stringify(msg) + '\n');
      }),
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

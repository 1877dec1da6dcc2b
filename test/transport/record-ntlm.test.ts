// A recording made from the client over NTLM with message encryption (the
// local endpoint seals every body over http) holds the plain SOAP and nothing
// secret: not the password, not the NT hash, not the exported session key (nor
// the sealing keys derived from it), no NTLM token, no sealed body. The
// recording then replays for the same call without any authentication.
import { randomBytes as realRandomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';

// Every random value the client draws, to find the exported session key among them.
const randoms: Buffer[] = [];
vi.mock('node:crypto', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:crypto')>();
  return {
    ...orig,
    randomBytes: (n: number) => {
      const b = orig.randomBytes(n);
      randoms.push(Buffer.from(b));
      return b;
    },
  };
});

const { startEndpoint } = await import('../../src/server/endpoint.js');
const { runCommand } = await import('../../src/winrm/winrs.js');
const { openSession } = await import('../../src/session/open.js');
const { ntlmAuth } = await import('../../src/transport/http/ntlm-auth.js');
const { ntowfv1, sealKey, signKey } = await import('../../src/auth/ntlm/crypto.js');
const { NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY } = await import('../../src/auth/ntlm/flags.js');
const { startReplayServer } = await import('../../src/server/replay.js');
const { loadRecording } = await import('../../src/server/recording.js');

const PASSWORD = 'Rec0rd-Me-Not!';
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function forms(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  return [b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64'), b.toString('latin1')];
}

test('an NTLM-sealed conversation is recorded as plain SOAP with no credential, key or sealed body', async () => {
  const ep = await startEndpoint({ users: { alice: PASSWORD }, auth: ['ntlm'] });
  closers.push(() => ep.close());
  const file = join(mkdtempSync(join(tmpdir(), 'psr-ntlm-rec-')), 'ntlm.jsonl');
  randoms.length = 0;
  const auth = ntlmAuth({ username: 'alice', password: PASSWORD });
  const r = await runCommand(ep.url, 'echo', ['sealed', 'hello'], { auth, record: file });
  expect(r.stdout).toBe('sealed hello\n');
  const pool = await openSession(ep.url, { credential: { authentication: 'ntlm', username: 'alice', password: PASSWORD }, record: file });
  expect((await pool.invoke("Write-Output 'ps over ntlm'").result()).output).toEqual(['ps over ntlm']);
  await pool.close();

  const text = readFileSync(file, 'utf8');
  // The plain SOAP is there: the command line and its output (base64 in rsp:Stream).
  expect(text).toContain('<rsp:Command>echo</rsp:Command>');
  expect(text).toContain(Buffer.from('sealed hello\n').toString('base64'));
  // Nothing secret and nothing sealed.
  const ntHash = ntowfv1(PASSWORD);
  const keys = randoms.filter((b) => b.length === 16);
  expect(keys.length).toBeGreaterThanOrEqual(2); // one exported session key per connection at least
  const flags = NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY;
  const derived = keys.flatMap((k) => [sealKey(flags, k, 'Client'), sealKey(flags, k, 'Server'), signKey(flags, k, 'Client')!, signKey(flags, k, 'Server')!]);
  for (const secret of [PASSWORD, ...forms(ntHash), ...keys.flatMap(forms), ...derived.flatMap(forms)]) expect(text.includes(secret), `recording contains ${JSON.stringify(secret.slice(0, 8))}…`).toBe(false);
  for (const marker of ['multipart/encrypted', 'Encrypted Boundary', 'application/HTTP-SPNEGO-session-encrypted', 'TlRMTVNT', 'Authorization', 'Negotiate ']) expect(text).not.toContain(marker);

  // And the recording replays, without authentication, to the same answer.
  const replay = await startReplayServer({ recording: loadRecording(file) });
  closers.push(() => replay.close());
  const again = await runCommand(replay.url, 'echo', ['sealed', 'hello']);
  expect({ stdout: again.stdout, exitCode: again.exitCode }).toEqual({ stdout: 'sealed hello\n', exitCode: 0 });
  expect(replay.unmatched).toEqual([]);
});

// The second hop, which is what CredSSP is for: client → endpoint A
// (`auth: ['credssp']`) runs a pipeline whose handler takes the delegated
// credential from $PSSenderInfo (the scripted engine's senderInfo) and opens
// a psremote session to endpoint B (NTLM), and B sees the user. A knows
// alice only by her NT hash, so it cannot make up the password: B accepting
// the hop shows the delegation carried it. The password never reaches A's
// log, A's recording, B's log, an error, or the printed credential; a shell
// that did not come through CredSSP has no credential to hop with.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ntowfv1 } from '../../src/auth/ntlm/crypto.js';
import { demoHandler } from '../../src/server/demo-handler.js';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import type { ScriptContext } from '../../src/server/scripted-engine.js';
import { openSession } from '../../src/session/open.js';
import { makePki, type Pki } from '../transport/http/pki.js';

const PASSWORD = 'Hop-pw-2!x';
let pki: Pki;
let dir: string;
beforeAll(() => {
  pki = makePki();
  dir = mkdtempSync(join(tmpdir(), 'psremote-hop-'));
});
afterAll(() => {
  pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

let a: LocalEndpoint | undefined;
let b: LocalEndpoint | undefined;
afterEach(async () => {
  await a?.close();
  await b?.close();
  a = b = undefined;
});

/** A's handler: `Invoke-SecondHop` opens a session to B with the delegated credential; the rest is the demo handler. */
const hop = (bUrl: () => string) => async (ctx: ScriptContext) => {
  if (ctx.commandText.trim() !== 'Invoke-SecondHop') return demoHandler(ctx);
  const c = ctx.senderInfo.delegatedCredential;
  if (!c) throw new Error('this session has no delegated credential (it did not come through CredSSP)');
  // What a careless handler would print: the credential itself, and the senderInfo holding it.
  ctx.output(`${String(c)} ${JSON.stringify(ctx.senderInfo)} ${inspect(ctx.senderInfo)}`);
  const pool = await openSession(bUrl(), { credential: { authentication: 'ntlm', username: c.userName, password: c.password() }, operationTimeoutMs: 5_000 });
  try {
    for (const o of (await pool.invoke('$PSSenderInfo.UserName; whoami').result()).output) ctx.output(o);
  } finally {
    await pool.close();
  }
};

async function endpoints(bPassword = PASSWORD): Promise<{ record: string }> {
  b = await startEndpoint({ users: { alice: bPassword }, auth: ['ntlm'] });
  const record = join(dir, `a-${Date.now()}.jsonl`);
  a = await startEndpoint({
    // NT hash only: A can check NTLM inside CredSSP but has no password to give B.
    users: { alice: { ntHash: Buffer.from(ntowfv1(PASSWORD)).toString('hex') } },
    auth: ['credssp', 'basic'],
    allowUnencrypted: true,
    credsspTls: { cert: pki.serverCert, key: pki.serverKey },
    handler: hop(() => b!.url),
    recordPath: record,
  });
  return { record };
}
const credssp = { credential: { authentication: 'credssp' as const, username: 'WORKGROUP\\alice', password: PASSWORD }, operationTimeoutMs: 10_000 };

function expectNoPassword(text: string, where: string): void {
  for (const form of [PASSWORD, Buffer.from(PASSWORD, 'utf16le').toString('latin1'), Buffer.from(PASSWORD).toString('base64'), Buffer.from(PASSWORD, 'utf16le').toString('base64')]) {
    expect(text.includes(form), `${where} contains the password`).toBe(false);
  }
}

describe('the second hop through CredSSP', () => {
  test('A uses the delegated password to reach B, and B sees alice; the password in no log, recording or print-out', async () => {
    const { record } = await endpoints();
    const pool = await openSession(a!.url, credssp);
    const out = (await pool.invoke('Invoke-SecondHop').result()).output;
    await pool.close();
    expect(out.slice(1)).toEqual(['alice', 'alice']);
    expect(b!.log.find((l) => l.operation === 'Create')?.user).toBe('alice');
    // The printed credential names the user only.
    expect(out[0]).toContain('DelegatedCredential(WORKGROUP\\alice)');
    expect(out[0]).toContain('"delegatedCredential":{"userName":"WORKGROUP\\\\alice"}');
    expectNoPassword(String(out[0]), 'the printed senderInfo');
    expectNoPassword(JSON.stringify(a!.log), "A's log");
    expectNoPassword(JSON.stringify(b!.log), "B's log");
    const recorded = readFileSync(record, 'latin1');
    expect(recorded).toContain('"operation":"Create"');
    expectNoPassword(recorded, "A's recording");
  });

  test('B with another password for alice refuses the hop: the pipeline fails, the password in no error', async () => {
    await endpoints('Not-the-same-1');
    const pool = await openSession(a!.url, credssp);
    const e = await pool.invoke('Invoke-SecondHop').result().catch((x: unknown) => x);
    await pool.close();
    expect(e).toBeInstanceOf(Error);
    expect(String((e as Error).message)).toMatch(/PSR_AUTH_REJECTED|401|refused|rejected/i);
    expectNoPassword(`${(e as Error).message} ${(e as Error).stack ?? ''} ${JSON.stringify(e)}`, 'the error');
    expectNoPassword(JSON.stringify(a!.log), "A's log");
  });

  test('a Basic session to A (no CredSSP) has no credential to hop with', async () => {
    await endpoints();
    const pool = await openSession(a!.url, { credential: { authentication: 'basic', username: 'alice', password: PASSWORD }, allowUnencrypted: true, operationTimeoutMs: 10_000 });
    const e = await pool.invoke('Invoke-SecondHop').result().catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/no delegated credential/);
    expect((await pool.invoke('$PSSenderInfo.DelegatedUser').result()).output).toEqual([null]);
    await pool.close();
    expect(b!.log.filter((l) => l.operation === 'Create')).toEqual([]);
  });
});

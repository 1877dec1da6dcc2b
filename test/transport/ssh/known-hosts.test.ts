// Host-key checks as OpenSSH's client makes them. The hashed entries come from
// OpenSSH's own `ssh-keygen -H` when it is installed (ground truth); the plain
// ones are in the documented known_hosts format.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkKnownHosts, sshFingerprint } from '../../../src/transport/ssh/index.js';

// An ed25519 public key blob (ssh-keygen output; any fixed key will do).
const KEY_B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAIDXWYp8jqJH1o4zJt9tJvFVOH0Ufe6GkQ6u0UqYCBW3h';
const OTHER_B64 = 'AAAAC3NzaC1lZDI1NTE5AAAAIFpG3g7rGr2y0jS6kM3d7h3wUoS2VxZ0o1e0jW3p3Tq1';
const key = Buffer.from(KEY_B64, 'base64');
const hasKeygen = !spawnSync('ssh-keygen', ['-?']).error;

describe('checkKnownHosts', () => {
  test('plain entries: port 22 by name, other ports as [host]:port, lists and wildcards', () => {
    expect(checkKnownHosts(`win01 ssh-ed25519 ${KEY_B64}\n`, 'win01', 22, key)).toBe('match');
    expect(checkKnownHosts(`win01 ssh-ed25519 ${KEY_B64}\n`, 'win01', 2222, key)).toBe('unknown');
    expect(checkKnownHosts(`[127.0.0.1]:2222 ssh-ed25519 ${KEY_B64}\n`, '127.0.0.1', 2222, key)).toBe('match');
    expect(checkKnownHosts(`a,b,WIN01 ssh-ed25519 ${KEY_B64}`, 'win01', 22, key)).toBe('match');
    expect(checkKnownHosts(`*.corp ssh-ed25519 ${KEY_B64}`, 'db.corp', 22, key)).toBe('match');
    expect(checkKnownHosts(`*.corp,!db.corp ssh-ed25519 ${KEY_B64}`, 'db.corp', 22, key)).toBe('unknown');
    expect(checkKnownHosts(`# comment\n\nwin01x ssh-ed25519 ${KEY_B64}`, 'win01', 22, key)).toBe('unknown');
  });

  test('a different key for the host is a mismatch; a revoked key is refused', () => {
    expect(checkKnownHosts(`win01 ssh-ed25519 ${OTHER_B64}\n`, 'win01', 22, key)).toBe('mismatch');
    expect(checkKnownHosts(`win01 ssh-ed25519 ${OTHER_B64}\nwin01 ssh-ed25519 ${KEY_B64}\n`, 'win01', 22, key)).toBe('match');
    expect(checkKnownHosts(`@revoked * ssh-ed25519 ${KEY_B64}\nwin01 ssh-ed25519 ${KEY_B64}`, 'win01', 22, key)).toBe('revoked');
    expect(checkKnownHosts(`@cert-authority * ssh-ed25519 ${KEY_B64}`, 'win01', 22, key)).toBe('unknown');
  });

  test.skipIf(!hasKeygen)('hashed entries written by ssh-keygen -H', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kh-'));
    try {
      const file = join(dir, 'known_hosts');
      writeFileSync(file, `win01 ssh-ed25519 ${KEY_B64}\n[127.0.0.1]:2222 ssh-ed25519 ${KEY_B64}\n`);
      execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore', timeout: 10_000 });
      const hashed = readFileSync(file, 'utf8');
      expect(hashed).toMatch(/^\|1\|/);
      expect(hashed).not.toContain('win01');
      expect(checkKnownHosts(hashed, 'win01', 22, key)).toBe('match');
      expect(checkKnownHosts(hashed, '127.0.0.1', 2222, key)).toBe('match');
      expect(checkKnownHosts(hashed, 'win02', 22, key)).toBe('unknown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test.skipIf(!hasKeygen)('sshFingerprint is what ssh-keygen -l prints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-'));
  try {
    writeFileSync(join(dir, 'k.pub'), `ssh-ed25519 ${KEY_B64} test\n`);
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], { encoding: 'utf8' }).split(/\s+/)[1];
    expect(sshFingerprint(key)).toBe(printed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// tls-server-end-point channel bindings (RFC 5929) for certificates signed
// with different algorithms, made with openssl here; the expected hashes are
// openssl's own fingerprints of the same certificates.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, test } from 'vitest';
import { certificateChannelBindings, certificateSignatureOid, endPointHashAlgorithm, gssChannelBindings, tlsServerEndPoint } from '../../src/auth/channel-bindings.js';
import { md5 } from '../../src/auth/ntlm/crypto.js';

const dir = mkdtempSync(join(tmpdir(), 'psremote-cbt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 }).toString();

function cert(name: string, keyArgs: string[], digest: string): Uint8Array {
  ssl('req', '-x509', ...keyArgs, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`, `-${digest}`);
  return new Uint8Array(new X509Certificate(readFileSync(join(dir, `${name}.pem`))).raw);
}
const fingerprint = (name: string, digest: string) => ssl('x509', '-in', `${name}.pem`, '-noout', '-fingerprint', `-${digest}`).trim().split('=')[1]!.replaceAll(':', '').toLowerCase();

describe('tls-server-end-point', () => {
  test.each([
    ['rsa-sha256', ['-newkey', 'rsa:2048'], 'sha256', '1.2.840.113549.1.1.11', 'sha256'],
    ['rsa-sha384', ['-newkey', 'rsa:2048'], 'sha384', '1.2.840.113549.1.1.12', 'sha384'],
    ['rsa-sha512', ['-newkey', 'rsa:2048'], 'sha512', '1.2.840.113549.1.1.13', 'sha512'],
    ['rsa-sha1', ['-newkey', 'rsa:2048'], 'sha1', '1.2.840.113549.1.1.5', 'sha256'], // SHA-1 → SHA-256 (RFC 5929 4.1)
    ['ec-sha384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'sha384', '1.2.840.10045.4.3.3', 'sha384'],
    ['ec-sha256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'sha256', '1.2.840.10045.4.3.2', 'sha256'],
  ])('%s', (name, keyArgs, digest, oid, hash) => {
    const der = cert(name, keyArgs, digest);
    expect(certificateSignatureOid(der)).toBe(oid);
    expect(endPointHashAlgorithm(der)).toBe(hash);
    const data = tlsServerEndPoint(der);
    expect(Buffer.from(data.subarray(0, 21)).toString()).toBe('tls-server-end-point:');
    expect(Buffer.from(data.subarray(21)).toString('hex')).toBe(fingerprint(name, hash));
  });

  test('Ed25519 (no single hash) falls back to SHA-256', () => {
    ssl('req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', 'ed.key', '-out', 'ed.pem', '-days', '2', '-subj', '/CN=ed');
    const der = new Uint8Array(new X509Certificate(readFileSync(join(dir, 'ed.pem'))).raw);
    expect(certificateSignatureOid(der)).toBe('1.3.101.112');
    expect(Buffer.from(tlsServerEndPoint(der).subarray(21)).toString('hex')).toBe(fingerprint('ed', 'sha256'));
  });

  test('the gss_channel_bindings_struct: four zero words, the application data length, the data', () => {
    const s = gssChannelBindings(new Uint8Array(Buffer.from('tls-server-end-point:AB')));
    expect(Buffer.from(s).toString('hex')).toBe(`${'00'.repeat(16)}17000000${Buffer.from('tls-server-end-point:AB').toString('hex')}`);
    // The MD5 pyspnego/ntlm-auth compute for a certificate hash of 32 x 0x11 (same struct layout, hand-computed here).
    const data = new Uint8Array([...Buffer.from('tls-server-end-point:'), ...new Uint8Array(32).fill(0x11)]);
    expect(md5(gssChannelBindings(data))).toEqual(md5(new Uint8Array([...new Uint8Array(16), 53, 0, 0, 0, ...data])));
  });

  test('not a certificate: typed errors', () => {
    expect(() => certificateChannelBindings(new Uint8Array([1, 2, 3]))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INVALID' }));
    expect(() => certificateChannelBindings(new Uint8Array([0x30, 0x82, 0xff, 0xff, 0]))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INVALID' }));
    expect(() => certificateChannelBindings(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toThrow(/tbsCertificate is not a SEQUENCE/);
  });
});

// A throwaway PKI for TLS tests, made with openssl in a temp dir: a CA, a server
// certificate for 127.0.0.1/localhost, one for the name winrm.test only, and a
// client certificate.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly namedCert: string;
  readonly namedKey: string;
  /** Valid for IP 127.0.0.1 only: reached as `localhost` it fails with ERR_TLS_CERT_ALTNAME_INVALID. */
  readonly ipOnlyCert: string;
  readonly ipOnlyKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly otherCaCert: string;
  cleanup(): void;
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'psremote-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  ca('test-ca');
  ca('other-ca');
  const leaf = (name: string, cn: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'test-ca.pem', '-CAkey', 'test-ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
  leaf('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('named', 'winrm.test', 'subjectAltName=DNS:winrm.test\nextendedKeyUsage=serverAuth\n');
  leaf('iponly', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'winrm-user', 'extendedKeyUsage=clientAuth\n');
  const r = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: r('test-ca.pem'),
    serverCert: r('server.pem'),
    serverKey: r('server.key'),
    namedCert: r('named.pem'),
    namedKey: r('named.key'),
    ipOnlyCert: r('iponly.pem'),
    ipOnlyKey: r('iponly.key'),
    clientCert: r('client.pem'),
    clientKey: r('client.key'),
    otherCaCert: r('other-ca.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

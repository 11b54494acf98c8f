/**
 * A throwaway certificate authority and a relay certificate it signed (for 127.0.0.1, ::1 and
 * localhost), made with openssl in a temporary folder: for testing TLS to the relay for real.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  /** PEM file of the CA certificate (what SMTP_TLS_CA_FILE points at). */
  caFile: string;
  key: Buffer;
  cert: Buffer;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** `names`: the subject alternative names of the relay's certificate. */
export function makeTestCerts(names = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'mail-updater-certs-'));
  const days = ['-days', '2'];
  openssl(
    dir,
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', ...days].concat([
      '-subj',
      '/CN=mail-updater test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
  );
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'relay.key',
    '-out',
    'relay.csr',
    '-subj',
    '/CN=relay',
  ]);
  writeFileSync(join(dir, 'relay.ext'), `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth\n`);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'relay.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'relay.pem',
    '-extfile',
    'relay.ext',
    ...days,
  ]);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    key: readFileSync(join(dir, 'relay.key')),
    cert: readFileSync(join(dir, 'relay.pem')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

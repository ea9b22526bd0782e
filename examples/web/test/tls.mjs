// Real TLS for the wss:// scenario: a throwaway CA and a server certificate for 127.0.0.1 made
// with the openssl CLI, and an NSS database that trusts the CA, which Chromium on Linux reads
// from $HOME/.pki/nssdb. The browser then verifies kited's certificate as it would any other:
// no --ignore-certificate-errors, so a wrong chain or name fails the scenario.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function run(command, args) {
  try {
    return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error(`${command} not found: ${INSTALL_HINTS[command] ?? 'install it'}`);
    throw new Error(`${command} ${args.join(' ')} failed: ${err.stderr}`);
  }
}

const INSTALL_HINTS = {
  openssl: 'apt-get install openssl',
  certutil: 'apt-get install libnss3-tools (it provides certutil, to make the browser trust the test CA)',
};

/**
 * Writes ca.pem, server.pem and server.key into `dir`; the server certificate names
 * IP 127.0.0.1 and DNS localhost. ECDSA P-256, valid two days.
 */
export function makeTestPki(dir) {
  const file = (name) => join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run('openssl', ['req', '-x509', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2',
    '-subj', '/CN=Kite web example test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run('openssl', ['req', ...ecKey, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(file('server.ext'), [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
  ].join('\n'));
  run('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext')]);
  return { caFile: file('ca.pem'), certFile: file('server.pem'), keyFile: file('server.key') };
}

/** Makes `home`/.pki/nssdb trust `caFile` to issue server certificates ("C,,"). */
export function trustCaForChromium(home, caFile) {
  const nssdb = join(home, '.pki', 'nssdb');
  mkdirSync(nssdb, { recursive: true });
  run('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password']);
  run('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', 'kite-test-ca', '-i', caFile]);
}

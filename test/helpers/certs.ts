// A throw-away PKI per test run, made with the openssl CLI: a CA and the server
// certificates that TLS tests need (good, wrong host name, self-signed, expired).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertFiles {
  certPath: string;
  keyPath: string;
  /** PEM texts of the certificate and its (unencrypted) private key. */
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** The test CA: trust `ca.certPath` to accept the CA-signed certificates. */
  ca: CertFiles;
  /** localhost, 127.0.0.1 and ::1, signed by the CA. */
  server: CertFiles;
  /** wrong.example.test only, signed by the CA. */
  wrongHost: CertFiles;
  /** localhost, 127.0.0.1 and ::1, signed by its own key. */
  selfSigned: CertFiles;
  /** localhost, 127.0.0.1 and ::1, signed by the CA, valid only in 2020. */
  expired: CertFiles;
  remove(): void;
}

export const WRONG_HOST = 'wrong.example.test';
const LOCAL_NAMES = 'DNS:localhost,IP:127.0.0.1,IP:::1';

// One config for every step, so the system's openssl.cnf plays no part. RSA 2048 keys
// because the camera preset negotiates ECDHE-RSA suites.
function opensslConfig(dir: string): string {
  return `
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = placeholder

[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ localhost_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${LOCAL_NAMES}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ self_signed_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${LOCAL_NAMES}
subjectKeyIdentifier = hash

[ wrong_host_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:${WRONG_HOST}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# 'openssl ca' is the 3.0 CLI's way to sign with dates in the past (-startdate/-enddate).
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = ${dir}
database = ${dir}/ca-index.txt
serial = ${dir}/ca-serial
new_certs_dir = ${dir}/ca-issued
certificate = ${dir}/ca.pem
private_key = ${dir}/ca.key
default_md = sha256
policy = any_subject
unique_subject = no
copy_extensions = none
[ any_subject ]
commonName = supplied
`;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd: dir });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

function files(dir: string, name: string): CertFiles {
  const certPath = path.join(dir, `${name}.pem`);
  const keyPath = path.join(dir, `${name}.key`);
  return {
    certPath,
    keyPath,
    cert: fs.readFileSync(certPath, 'utf8'),
    key: fs.readFileSync(keyPath, 'utf8'),
  };
}

// A key and a certificate request for `cn`.
async function request(dir: string, conf: string, name: string, cn: string): Promise<void> {
  await openssl(dir, [
    'req', '-new', '-config', conf, '-newkey', 'rsa:2048', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`,
  ]);
}

async function signByCa(dir: string, conf: string, name: string, ext: string): Promise<void> {
  await openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-CAcreateserial', '-days', '30', '-sha256',
    '-extfile', conf, '-extensions', ext, '-out', `${name}.pem`,
  ]);
}

/** Creates the PKI in a new temp directory; call `remove()` when done. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-pki-'));
  try {
    const conf = path.join(dir, 'openssl.cnf');
    fs.writeFileSync(conf, opensslConfig(dir));
    fs.writeFileSync(path.join(dir, 'ca-index.txt'), '');
    fs.writeFileSync(path.join(dir, 'ca-serial'), '1000\n');
    fs.mkdirSync(path.join(dir, 'ca-issued'));

    const selfSigned = (): Promise<void> =>
      openssl(dir, [
        'req', '-x509', '-config', conf, '-newkey', 'rsa:2048', '-nodes', '-days', '30',
        '-keyout', 'self-signed.key', '-out', 'self-signed.pem', '-subj', '/CN=localhost',
        '-extensions', 'self_signed_ext',
      ]);
    const caAndItsCertificates = async (): Promise<void> => {
      await openssl(dir, [
        'req', '-x509', '-config', conf, '-newkey', 'rsa:2048', '-nodes', '-days', '30',
        '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=node-librtmp test CA',
        '-extensions', 'ca_ext',
      ]);
      await Promise.all([
        request(dir, conf, 'server', 'localhost'),
        request(dir, conf, 'wrong-host', WRONG_HOST),
        request(dir, conf, 'expired', 'localhost'),
      ]);
      // One at a time: 'x509 -CAcreateserial' and 'ca' update serial files.
      await signByCa(dir, conf, 'server', 'localhost_ext');
      await signByCa(dir, conf, 'wrong-host', 'wrong_host_ext');
      await openssl(dir, [
        'ca', '-batch', '-config', conf, '-notext', '-in', 'expired.csr', '-out', 'expired.pem',
        '-startdate', '20200101000000Z', '-enddate', '20201231235959Z',
        '-extfile', conf, '-extensions', 'localhost_ext',
      ]);
    };
    // allSettled first so that no openssl run is still writing when the directory goes.
    const results = await Promise.allSettled([selfSigned(), caAndItsCertificates()]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;

    return {
      dir,
      ca: files(dir, 'ca'),
      server: files(dir, 'server'),
      wrongHost: files(dir, 'wrong-host'),
      selfSigned: files(dir, 'self-signed'),
      expired: files(dir, 'expired'),
      remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

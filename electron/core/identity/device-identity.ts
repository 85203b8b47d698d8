/**
 * The device's key pair and self-signed certificate, created at first start.
 * The device id is the SHA-256 fingerprint of the certificate: whoever presents
 * this certificate in a TLS handshake proves they hold the key.
 */
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../ferry-error';
import { fingerprintOf } from './fingerprint';

export interface DeviceIdentity {
  id: string;
  certPem: string;
  keyPem: string;
}

const KEY_FILE = 'device-key.pem';
const CERT_FILE = 'device-cert.pem';
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Loads the identity from `dir`, creating it (owner-only files) on first start. */
export async function loadOrCreateIdentity(dir: string): Promise<DeviceIdentity> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = path.join(dir, KEY_FILE);
  const certPath = path.join(dir, CERT_FILE);
  try {
    const [keyPem, certPem] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    return { id: fingerprintOf(new X509Certificate(certPem)), certPem, keyPem };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // One file without the other: a new pair would pair a new key with the old certificate
  // (or fail half-written). Leave what is there for the user to restore.
  const found = await Promise.all(
    [keyPath, certPath].map((p) =>
      access(p).then(
        () => p,
        () => null,
      ),
    ),
  );
  const left = found.find((p) => p !== null);
  if (left) {
    throw new FerryError(
      'INTERNAL',
      `the device identity in ${dir} is incomplete (only ${path.basename(left)} is there); restore the missing file, or remove ${left} to start as a new device`,
    );
  }
  const identity = await createIdentity();
  // Key first, with 0600 from the start: it is never readable by others, not even briefly.
  await writeFile(keyPath, identity.keyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(certPath, identity.certPem, { mode: 0o600, flag: 'wx' });
  await chmod(dir, 0o700);
  return identity;
}

export async function createIdentity(): Promise<DeviceIdentity> {
  // Loaded here, not at the top: only a first start makes a certificate (every later one reads
  // it with node:crypto), and loading the X.509 library with the Reflect polyfill it needs (via
  // tsyringe) took 120–180 ms of every `ferry send`'s start (bundled, 2 busy cores).
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: 'CN=Ferry device',
    notBefore: new Date(now - 24 * 3600_000),
    notAfter: new Date(now + 20 * 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: ALGORITHM,
  });
  const certPem = cert.toString('pem');
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
  return { id: fingerprintOf(new X509Certificate(certPem)), certPem, keyPem };
}

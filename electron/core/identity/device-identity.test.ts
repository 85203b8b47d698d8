import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { createIdentity, loadOrCreateIdentity } from './device-identity';
import { fingerprintOf, verificationCode } from './fingerprint';

describe('device identity', () => {
  it('creates a key and certificate once, owner-only, and the id is the certificate fingerprint', async () => {
    const dir = path.join(await tempDir(), 'identity');
    const first = await loadOrCreateIdentity(dir);
    const again = await loadOrCreateIdentity(dir);
    expect(again).toEqual(first);
    expect(first.id).toMatch(/^[0-9a-f]{64}$/);
    const cert = new X509Certificate(await readFile(path.join(dir, 'device-cert.pem')));
    expect(fingerprintOf(cert)).toBe(first.id);
    expect(cert.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(first.id);
    if (process.platform !== 'win32') {
      expect((await stat(path.join(dir, 'device-key.pem'))).mode & 0o777).toBe(0o600);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
    }
  });

  it('gives two devices different ids', async () => {
    const a = await loadOrCreateIdentity(path.join(await tempDir(), 'a'));
    const b = await loadOrCreateIdentity(path.join(await tempDir(), 'b'));
    expect(a.id).not.toBe(b.id);
  });

  it('derives the same verification code on both sides, different for other pairs', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const c = 'c'.repeat(64);
    expect(verificationCode(a, b)).toBe(verificationCode(b, a));
    expect(verificationCode(a, b)).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(verificationCode(a, b)).not.toBe(verificationCode(a, c));
  });

  it('makes a self-signed P-256 certificate for CN=Ferry device, valid from yesterday for 20 years', async () => {
    const identity = await createIdentity();
    const cert = new X509Certificate(identity.certPem);
    expect(cert.subject).toBe('CN=Ferry device');
    expect(cert.issuer).toBe('CN=Ferry device');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const key = createPrivateKey(identity.keyPem);
    expect(identity.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(cert.serialNumber).toMatch(/^[0-9A-F]{1,16}$/);
    const day = 24 * 3600_000;
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    expect(Math.abs(from - (Date.now() - day))).toBeLessThan(5 * 60_000);
    expect(Math.abs(to - (Date.now() + 20 * 365 * day))).toBeLessThan(5 * 60_000);
    expect(identity.id).toBe(fingerprintOf(cert));
    expect((await createIdentity()).certPem).not.toBe(identity.certPem);
  });

  it('makes an existing identity folder owner-only, and both files owner-only', async (ctx) => {
    if (process.platform === 'win32') ctx.skip('POSIX modes');
    const dir = path.join(await tempDir(), 'identity');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await loadOrCreateIdentity(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, 'device-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'device-cert.pem'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged certificate instead of replacing the identity', async () => {
    const dir = path.join(await tempDir(), 'identity');
    const first = await loadOrCreateIdentity(dir);
    await writeFile(path.join(dir, 'device-cert.pem'), 'not a certificate');
    // OpenSSL's own complaint, not a failed attempt to write a new identity over the old one.
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject({ code: 'ERR_OSSL_PEM_NO_START_LINE' });
    expect(await readFile(path.join(dir, 'device-key.pem'), 'utf8')).toBe(first.keyPem);
    expect(await readFile(path.join(dir, 'device-cert.pem'), 'utf8')).toBe('not a certificate');
  });

  it.each([
    ['device-key.pem', 'device-cert.pem'],
    ['device-cert.pem', 'device-key.pem'],
  ])('never replaces a lone %s (its partner %s is missing) with a new pair', async (present, missing) => {
    const dir = path.join(await tempDir(), 'identity');
    await mkdir(dir);
    await writeFile(path.join(dir, present), 'the old one');
    const refused = { code: 'INTERNAL', message: expect.stringContaining(`only ${present} is there`) };
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject(refused);
    await expect(loadOrCreateIdentity(dir)).rejects.toMatchObject(refused);
    expect(await readFile(path.join(dir, present), 'utf8')).toBe('the old one');
    await expect(stat(path.join(dir, missing))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('two engines starting at once on a new folder end with one matching pair, not a mix', async () => {
    const dir = path.join(await tempDir(), 'identity');
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => loadOrCreateIdentity(dir)));
    const keyPem = await readFile(path.join(dir, 'device-key.pem'), 'utf8');
    const certPem = await readFile(path.join(dir, 'device-cert.pem'), 'utf8');
    expect(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won.length).toBeGreaterThan(0);
    for (const r of won) expect(r.value).toMatchObject({ keyPem, certPem });
    expect(await loadOrCreateIdentity(dir)).toMatchObject({ keyPem, certPem });
  });
});

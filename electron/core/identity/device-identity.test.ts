import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { loadOrCreateIdentity } from './device-identity';
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
});

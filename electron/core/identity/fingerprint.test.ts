import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createIdentity } from './device-identity';
import { fingerprintOf, shortId, verificationCode } from './fingerprint';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('fingerprint', () => {
  it('is the lower-case hex SHA-256 of the certificate DER', async () => {
    const identity = await createIdentity();
    const cert = new X509Certificate(identity.certPem);
    const id = fingerprintOf(cert);
    expect(id).toBe(createHash('sha256').update(cert.raw).digest('hex'));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).toBe(identity.id);
  });

  it('shows the first 8 hex digits in two groups', () => {
    expect(shortId('3f2a9c01deadbeef')).toBe('3f2a 9c01');
  });

  it('gives both sides the same 12-digit code, whatever the order', () => {
    expect(verificationCode(A, B)).toBe('0370 7435 5083');
    expect(verificationCode(B, A)).toBe('0370 7435 5083');
    expect(verificationCode('0'.repeat(63) + '1', B)).toBe('0460 8199 7737');
  });

  it('changes with either fingerprint', () => {
    const codes = new Set([
      verificationCode(A, B),
      verificationCode(A, 'c'.repeat(64)),
      verificationCode('c'.repeat(64), B),
    ]);
    expect(codes.size).toBe(3);
    for (const code of codes) expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
  });
});

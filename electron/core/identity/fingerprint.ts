import { createHash, type X509Certificate } from 'node:crypto';

/** Device id: lower-case hex SHA-256 of the certificate's DER bytes. */
export function fingerprintOf(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

/** First 8 hex digits grouped, for logs and compact display ("3f2a 9c01"). */
export function shortId(id: string): string {
  return `${id.slice(0, 4)} ${id.slice(4, 8)}`;
}

/**
 * A code both users see identically and can read aloud: 12 digits in three
 * groups, derived from both fingerprints in a fixed order. About 40 bits, so
 * a man in the middle can't craft a certificate pair that matches by chance.
 */
export function verificationCode(a: string, b: string): string {
  const [first, second] = a < b ? [a, b] : [b, a];
  const digest = createHash('sha256').update(`ferry-verify-v1:${first}:${second}`).digest();
  const n = digest.readBigUInt64BE(0) % 10n ** 12n;
  const digits = n.toString().padStart(12, '0');
  return `${digits.slice(0, 4)} ${digits.slice(4, 8)} ${digits.slice(8)}`;
}

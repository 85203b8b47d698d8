import { describe, expect, it } from 'vitest';
import { decodeAnnounce, encodeAnnounce, MAGIC, MAX_PACKET_BYTES } from './announce-packet';
import { RateLimiter } from './rate-limiter';
import { broadcastOf } from './network-interfaces';

const packet = {
  kind: 'announce' as const,
  v: 1,
  id: 'a'.repeat(64),
  name: '小明的电脑',
  platform: 'win32',
  port: 47820,
};

describe('announce packet', () => {
  it('round-trips and starts with the magic bytes', () => {
    const bytes = encodeAnnounce(packet);
    expect(bytes.subarray(0, 7).toString()).toBe('FERRY1 ');
    expect(decodeAnnounce(bytes)).toEqual({ ok: true, packet });
  });

  it.each([
    ['oversized', Buffer.alloc(MAX_PACKET_BYTES + 1, 0x20), 'oversized'],
    ['foreign', Buffer.from('M-SEARCH * HTTP/1.1\r\n'), 'foreign'],
    ['not JSON', Buffer.from('FERRY1 {not json'), 'malformed'],
    ['bad id', Buffer.from(`FERRY1 ${JSON.stringify({ ...packet, id: 'zz' })}`), 'malformed'],
    ['port 0', Buffer.from(`FERRY1 ${JSON.stringify({ ...packet, port: 0 })}`), 'malformed'],
    ['300-byte name', Buffer.from(`FERRY1 ${JSON.stringify({ ...packet, name: 'n'.repeat(300) })}`), 'malformed'],
    ['empty', Buffer.alloc(0), 'foreign'],
  ])('drops a %s packet', (_label, bytes, reason) => {
    expect(decodeAnnounce(bytes)).toEqual({ ok: false, reason });
  });

  it('computes directed broadcast addresses', () => {
    expect(broadcastOf('192.168.1.23', '255.255.255.0')).toBe('192.168.1.255');
    expect(broadcastOf('10.1.2.3', '255.255.0.0')).toBe('10.1.255.255');
    expect(broadcastOf('127.0.0.1', '255.0.0.0')).toBe('127.255.255.255');
  });
});

describe('rate limiter', () => {
  it('allows a burst, then the steady rate, per source', () => {
    const limiter = new RateLimiter(10, 5);
    const t = 1_000_000;
    const allowed = Array.from({ length: 20 }, () => limiter.allow('1.2.3.4', t)).filter(Boolean).length;
    expect(allowed).toBe(5);
    expect(limiter.allow('5.6.7.8', t)).toBe(true);
    expect(limiter.allow('1.2.3.4', t + 100)).toBe(true); // 1 token refilled after 100 ms at 10/s
    expect(limiter.allow('1.2.3.4', t + 100)).toBe(false);
  });

  it('keeps its table bounded under a flood of sources', () => {
    const limiter = new RateLimiter(10, 5, 100);
    for (let i = 0; i < 10_000; i++) limiter.allow(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
  });
});

describe('announce packet: the edges of what is accepted', () => {
  const bytesOf = (fields: Record<string, unknown>) =>
    Buffer.from(`FERRY1 ${JSON.stringify({ ...packet, ...fields })}`);

  it.each([
    ['a reply', { kind: 'reply' }],
    ['a goodbye', { kind: 'goodbye' }],
    ['version 0', { v: 0 }],
    ['port 1', { port: 1 }],
    ['port 65535', { port: 65535 }],
    ['a 255-byte name', { name: 'n'.repeat(255) }],
    ['a 32-byte platform', { platform: 'p'.repeat(32) }],
  ])('accepts %s', (_label, fields) => {
    expect(decodeAnnounce(bytesOf(fields))).toEqual({ ok: true, packet: { ...packet, ...fields } });
  });

  it.each([
    ['an unknown kind', { kind: 'hello' }],
    ['a negative version', { v: -1 }],
    ['a fractional version', { v: 1.5 }],
    ['an upper-case id', { id: 'A'.repeat(64) }],
    ['a 63-digit id', { id: 'a'.repeat(63) }],
    ['a 65-digit id', { id: 'a'.repeat(65) }],
    ['an empty name', { name: '' }],
    ['a 33-byte platform', { platform: 'p'.repeat(33) }],
    ['port 65536', { port: 65536 }],
    ['a fractional port', { port: 80.5 }],
  ])('refuses %s as malformed', (_label, fields) => {
    expect(decodeAnnounce(bytesOf(fields))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('reads a datagram of exactly the size limit, and only the magic as foreign when altered', () => {
    const json = JSON.stringify({ ...packet, platform: '' });
    const padded = Buffer.concat([
      MAGIC,
      Buffer.from(json),
      Buffer.alloc(MAX_PACKET_BYTES - MAGIC.length - Buffer.byteLength(json), 0x20),
    ]);
    expect(padded.length).toBe(MAX_PACKET_BYTES);
    expect(decodeAnnounce(padded)).toEqual({ ok: true, packet: { ...packet, platform: '' } });
    expect(decodeAnnounce(Buffer.from('FERRY2 {}'))).toEqual({ ok: false, reason: 'foreign' });
    expect(decodeAnnounce(Buffer.from('FERRY1'))).toEqual({ ok: false, reason: 'foreign' });
    expect(decodeAnnounce(Buffer.from('FERRY1 '))).toEqual({ ok: false, reason: 'malformed' });
    expect(MAGIC.toString('latin1')).toBe('FERRY1 ');
    expect(MAX_PACKET_BYTES).toBe(1024);
  });

  it('encodes the magic and then the JSON, in UTF-8', () => {
    const bytes = encodeAnnounce(packet);
    expect(bytes.subarray(0, 7)).toEqual(MAGIC);
    expect(JSON.parse(bytes.subarray(7).toString('utf8'))).toEqual(packet);
  });
});

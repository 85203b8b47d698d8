import { describe, expect, it } from 'vitest';
import { FerryError } from '../ferry-error';
import { DEFAULT_PORT, formatAddress, parseAddress } from './address';

function badAddress(input: string): string {
  try {
    parseAddress(input);
  } catch (err) {
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('BAD_ADDRESS');
    return (err as FerryError).message;
  }
  throw new Error(`parsed ${JSON.stringify(input)}`);
}

describe('parseAddress', () => {
  it.each([
    ['192.168.1.5', { host: '192.168.1.5', port: DEFAULT_PORT }],
    ['10.0.0.1:8080', { host: '10.0.0.1', port: 8080 }],
    ['  laptop.local:1  ', { host: 'laptop.local', port: 1 }],
    ['my-pc_2:65535', { host: 'my-pc_2', port: 65535 }],
    ['::1', { host: '::1', port: DEFAULT_PORT }],
    ['fe80::1:2', { host: 'fe80::1:2', port: DEFAULT_PORT }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['[fe80::1%eth0]', { host: 'fe80::1%eth0', port: DEFAULT_PORT }],
    [`${'h'.repeat(253)}:7`, { host: 'h'.repeat(253), port: 7 }],
  ])('%j → %j', (input, expected) => {
    expect(parseAddress(input)).toEqual(expected);
  });

  it('uses the default port it is given', () => {
    expect(parseAddress('1.2.3.4', 9)).toEqual({ host: '1.2.3.4', port: 9 });
    expect(DEFAULT_PORT).toBe(47820);
  });

  it.each([
    ['', '"" is not an IP address or host name'],
    [':80', '":80" is not an IP address or host name'],
    ['a b', '"a b" is not an IP address or host name'],
    ['evil/host', '"evil/host" is not an IP address or host name'],
    ['[::1]:', '"[::1]:" is not an IP address or host name'],
    ['x[::1]:80', '"x[::1]:80" is not an IP address or host name'],
    ['h'.repeat(254), `"${'h'.repeat(254)}" is not an IP address or host name`],
    ['host:0', '"0" is not a port number (1–65535)'],
    ['host:65536', '"65536" is not a port number (1–65535)'],
    ['host:', '"" is not a port number (1–65535)'],
    ['host:8a', '"8a" is not a port number (1–65535)'],
    ['host:-1', '"-1" is not a port number (1–65535)'],
    ['host:1e3', '"1e3" is not a port number (1–65535)'],
    ['[::1]:70000', '"70000" is not a port number (1–65535)'],
  ])('refuses %j', (input, message) => {
    expect(badAddress(input)).toBe(message);
  });
});

describe('formatAddress', () => {
  it('brackets IPv6 and leaves the rest alone', () => {
    expect(formatAddress({ host: '::1', port: 9000 })).toBe('[::1]:9000');
    expect(formatAddress({ host: '10.0.0.1', port: 1 })).toBe('10.0.0.1:1');
    expect(formatAddress({ host: 'laptop.local', port: 47820 })).toBe('laptop.local:47820');
  });

  it('round-trips with parseAddress', () => {
    for (const a of [
      { host: 'fe80::1', port: 5 },
      { host: '192.168.0.9', port: 47820 },
    ]) {
      expect(parseAddress(formatAddress(a))).toEqual(a);
    }
  });
});

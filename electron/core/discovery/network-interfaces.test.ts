/** Which interfaces discovery announces on, read from this machine's real interface list. */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { broadcastOf, ipv4Interfaces } from './network-interfaces';

describe('network interfaces', () => {
  it('by default lists every non-internal IPv4 interface (never loopback, never IPv6)', () => {
    const expected = Object.values(os.networkInterfaces())
      .flat()
      .filter((i) => i?.family === 'IPv4' && !i.internal)
      .map((i) => i!.address)
      .sort();
    const got = ipv4Interfaces();
    expect(got.map((i) => i.address).sort()).toEqual(expected);
    expect(got.filter((i) => i.address.startsWith('127.') || i.address.includes(':'))).toEqual([]);
  });

  it('with addresses given, lists exactly those IPv4 interfaces, loopback included, with their broadcast address', () => {
    expect(ipv4Interfaces(['127.0.0.1'])).toEqual([{ address: '127.0.0.1', broadcast: '127.255.255.255' }]);
    // ::1 is on the loopback interface too, but discovery is IPv4 only.
    expect(ipv4Interfaces(['::1', '127.0.0.1'])).toEqual([{ address: '127.0.0.1', broadcast: '127.255.255.255' }]);
    expect(ipv4Interfaces(['::1'])).toEqual([]);
    expect(ipv4Interfaces(['10.255.255.254'])).toEqual([]);
    expect(ipv4Interfaces([])).toEqual([]);
  });

  it('computes the directed broadcast address of a subnet', () => {
    expect(broadcastOf('192.168.1.23', '255.255.255.0')).toBe('192.168.1.255');
    expect(broadcastOf('10.1.2.3', '255.255.0.0')).toBe('10.1.255.255');
    expect(broadcastOf('10.0.0.37', '255.255.255.240')).toBe('10.0.0.47');
    expect(broadcastOf('172.16.5.4', '255.240.0.0')).toBe('172.31.255.255');
    expect(broadcastOf('192.0.2.9', '255.255.255.255')).toBe('192.0.2.9');
  });
});

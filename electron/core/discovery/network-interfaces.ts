import os from 'node:os';

export interface Ipv4Interface {
  address: string;
  /** Directed broadcast address of its subnet (e.g. 192.168.1.255). */
  broadcast: string;
}

/** Non-internal IPv4 interfaces, or exactly the given addresses (tests pin loopback). */
export function ipv4Interfaces(only?: string[]): Ipv4Interface[] {
  const all = Object.values(os.networkInterfaces())
    .flat()
    .filter((i): i is os.NetworkInterfaceInfo => !!i && i.family === 'IPv4');
  const chosen = only ? all.filter((i) => only.includes(i.address)) : all.filter((i) => !i.internal);
  return chosen.map((i) => ({ address: i.address, broadcast: broadcastOf(i.address, i.netmask) }));
}

export function broadcastOf(address: string, netmask: string): string {
  const a = address.split('.').map(Number);
  const m = netmask.split('.').map(Number);
  return a.map((octet, i) => (octet & m[i]!) | (~m[i]! & 255)).join('.');
}

/**
 * Two network namespaces joined by a veth pair: a two-computer LAN where peers that
 * broadcast (iptux, a Ferry with IP Messenger on) can find each other without anything
 * leaving the machine. Both ends are made inside the namespaces, so nothing is ever up
 * in the machine's own. Needs root.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface LanHost {
  ns: string;
  ip: string;
  dev: string;
}

export function run(...args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: 'pipe' });
}

/** Names for two hosts on 198.18.<subnet>.0/24, unique to this test process. */
export function vethLan(prefix: string, subnet: number, names: [string, string]): [LanHost, LanHost] {
  const tag = `${prefix}${process.pid % 10_000}`;
  return [
    { ns: `${tag}-${names[0]}`, ip: `198.18.${subnet}.1`, dev: `${tag}a` },
    { ns: `${tag}-${names[1]}`, ip: `198.18.${subnet}.2`, dev: `${tag}b` },
  ];
}

export function createLan([a, b]: [LanHost, LanHost]): void {
  for (const { ns } of [a, b]) run('ip', 'netns', 'add', ns);
  run('ip', 'link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns);
  for (const { ns, ip, dev } of [a, b]) {
    run('ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'brd', '+', 'dev', dev);
    run('ip', '-n', ns, 'link', 'set', dev, 'up');
    run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    // 255.255.255.255 needs a route; this one leads only to the other namespace.
    run('ip', '-n', ns, 'route', 'add', 'default', 'dev', dev);
  }
}

export function deleteLan(hosts: LanHost[]): void {
  for (const { ns } of hosts) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

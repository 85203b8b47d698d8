/**
 * A real multi-host LAN: three network namespaces joined by a bridge (in a fourth
 * namespace), each running a `ferry listen` process. They discover each other by
 * multicast, then (multicast dropped by nftables) by broadcast, then (both
 * dropped) only by manual add. Everything stays inside namespaces this test
 * creates and removes; needs root (skipped with the reason otherwise).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnFerry, type FerryProcess, type JsonLine } from '../helpers/cli-process';
import { tempDir } from '../helpers/temp-dir';
import { waitUntil } from '../helpers/wait';

const tag = `fy${process.pid % 10_000}`;
const bridgeNs = `${tag}-br`;
const hosts = [1, 2, 3].map((n) => ({ ns: `${tag}-h${n}`, ip: `10.77.0.${n + 1}`, name: `Host${n}` }));

function run(...args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: 'pipe' });
}
function inNs(ns: string, ...args: string[]): void {
  run('ip', 'netns', 'exec', ns, ...args);
}

function canUseNamespaces(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root';
  const probe = `${tag}-probe`;
  const made = spawnSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
  if (made.status !== 0) return `ip netns add failed: ${made.stderr.toString().trim() || 'iproute2 missing'}`;
  spawnSync('ip', ['netns', 'del', probe]);
  if (spawnSync('sh', ['-c', 'command -v nft'], { stdio: 'ignore' }).status !== 0)
    return 'nft (nftables) is not installed';
  return null;
}

const skipReason = canUseNamespaces();

function createLan(): void {
  run('ip', 'netns', 'add', bridgeNs);
  inNs(bridgeNs, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
  inNs(bridgeNs, 'ip', 'link', 'set', 'br0', 'up');
  hosts.forEach(({ ns, ip }, i) => {
    run('ip', 'netns', 'add', ns);
    run('ip', 'link', 'add', `${tag}v${i}`, 'type', 'veth', 'peer', 'name', `${tag}p${i}`);
    run('ip', 'link', 'set', `${tag}v${i}`, 'netns', ns);
    run('ip', 'link', 'set', `${tag}p${i}`, 'netns', bridgeNs);
    inNs(bridgeNs, 'ip', 'link', 'set', `${tag}p${i}`, 'master', 'br0');
    inNs(bridgeNs, 'ip', 'link', 'set', `${tag}p${i}`, 'up');
    inNs(ns, 'ip', 'link', 'set', `${tag}v${i}`, 'name', 'eth0');
    inNs(ns, 'ip', 'addr', 'add', `${ip}/24`, 'brd', '+', 'dev', 'eth0');
    inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    // Multicast and limited broadcast need a route; inside the namespace it leads only to the bridge.
    inNs(ns, 'ip', 'route', 'add', 'default', 'dev', 'eth0');
    inNs(ns, 'nft', 'add', 'table', 'inet', 'ferrytest');
    inNs(ns, 'nft', 'add', 'chain', 'inet', 'ferrytest', 'out', '{ type filter hook output priority 0 ; }');
  });
}

function destroyLan(): void {
  for (const ns of [...hosts.map((h) => h.ns), bridgeNs]) spawnSync('ip', ['netns', 'del', ns]);
}

/** Replaces the drop rules on every host: which kinds of discovery traffic may leave it. */
function dropOutgoing(kinds: ('multicast' | 'broadcast')[]): void {
  for (const { ns } of hosts) {
    inNs(ns, 'nft', 'flush', 'chain', 'inet', 'ferrytest', 'out');
    if (kinds.includes('multicast'))
      inNs(ns, 'nft', 'add', 'rule', 'inet', 'ferrytest', 'out', 'ip', 'daddr', '224.0.0.0/4', 'counter', 'drop');
    if (kinds.includes('broadcast')) {
      inNs(ns, 'nft', 'add', 'rule', 'inet', 'ferrytest', 'out', 'ip', 'daddr', '10.77.0.255', 'counter', 'drop');
      inNs(ns, 'nft', 'add', 'rule', 'inet', 'ferrytest', 'out', 'ip', 'daddr', '255.255.255.255', 'counter', 'drop');
    }
  }
}

/** Packets the drop rules stopped on one host (announcements that never left it). */
function droppedOn(ns: string): number {
  const out = execFileSync('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'chain', 'inet', 'ferrytest', 'out'], {
    stdio: 'pipe',
  }).toString();
  let packets = 0;
  for (const item of (JSON.parse(out) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] })
    .nftables) {
    for (const expr of item.rule?.expr ?? []) packets += expr.counter?.packets ?? 0;
  }
  return packets;
}

async function startHosts(): Promise<{ procs: FerryProcess[]; ids: string[] }> {
  const procs: FerryProcess[] = [];
  const ids: string[] = [];
  for (const { ns, name } of hosts) {
    const dataDir = await tempDir();
    const proc = spawnFerry(
      ['listen', '--data-dir', dataDir, '--name', name, '--port', '47820'],
      ['ip', 'netns', 'exec', ns],
    );
    const ready = await proc.waitFor((l) => l.event === 'listening', 30_000, `${name} listening`);
    procs.push(proc);
    ids.push(ready.id as string);
  }
  return { procs, ids };
}

async function stopHosts(procs: FerryProcess[]): Promise<void> {
  for (const p of procs) p.child.kill('SIGINT');
  await Promise.all(procs.map((p) => p.exited));
}

const isOnline = (id: string) => (l: JsonLine) => l.event === 'peerUpdated' && l.id === id && l.online === true;

async function everyoneSeesEveryone(procs: FerryProcess[], ids: string[], via: string): Promise<void> {
  await Promise.all(
    procs.flatMap((proc, i) =>
      ids
        .filter((_, j) => j !== i)
        .map((id) => proc.waitFor(isOnline(id), 20_000, `${hosts[i]!.name} sees ${id.slice(0, 8)} ${via}`)),
    ),
  );
}

describe.skipIf(skipReason !== null)(
  `three hosts on a bridged LAN${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    beforeAll(() => {
      destroyLan();
      createLan();
    });
    afterAll(() => destroyLan());

    it('discover each other by multicast alone', async () => {
      dropOutgoing(['broadcast']);
      const { procs, ids } = await startHosts();
      await everyoneSeesEveryone(procs, ids, 'by multicast');
      await stopHosts(procs);
    }, 90_000);

    it('discover each other by broadcast when multicast is dropped', async () => {
      dropOutgoing(['multicast']);
      const { procs, ids } = await startHosts();
      await everyoneSeesEveryone(procs, ids, 'by broadcast');
      await stopHosts(procs);
    }, 90_000);

    it('reach each other by manual add when both are dropped', async () => {
      dropOutgoing(['multicast', 'broadcast']);
      const { procs, ids } = await startHosts();
      // Every host has announced (and had it dropped) at least twice on each route: nobody shows up.
      await waitUntil(() => hosts.every(({ ns }) => droppedOn(ns) >= 6), {
        timeoutMs: 30_000,
        what: 'two announce periods dropped on every host',
      });
      for (const proc of procs) expect(proc.lines.filter((l) => l.event === 'peerUpdated')).toEqual([]);
      const [first] = procs;
      await first!.call('addPeer', hosts[1]!.ip);
      await first!.call('addPeer', `${hosts[2]!.ip}:47820`);
      await first!.waitFor(isOnline(ids[1]!), 10_000, 'host1 → host2 by address');
      await first!.waitFor(isOnline(ids[2]!), 10_000, 'host1 → host3 by address');
      const sent = (await first!.call('sendMessage', `direct:${ids[2]}`, 'across the bridge')) as { id: string };
      await procs[2]!.waitFor((l) => l.event === 'messageAdded' && l.id === sent.id, 10_000, 'message arrives');
      await stopHosts(procs);
    }, 90_000);
  },
);

// Keep the reason visible in the test report when skipped.
if (skipReason !== null) {
  describe('three hosts on a bridged LAN', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}

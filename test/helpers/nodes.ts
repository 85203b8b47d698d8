/** Real engines on 127.0.0.1 in temp dirs, and ways to wait for what they say. */
import { afterEach } from 'vitest';
import type { EventName, FerryEvent, FerryEvents } from '../../shared/api';
import { FerryNode, type FerryNodeOptions } from '../../electron/core/ferry-node';
import { tempDir } from './temp-dir';

const running = new Set<FerryNode>();
afterEach(async () => {
  await Promise.all([...running].map((n) => n.stop()));
  running.clear();
});

export interface TestNode {
  node: FerryNode;
  dataDir: string;
  address: string;
  events: FerryEvent[];
  /** Resolves with the first event (already seen or future) matching the predicate. */
  waitFor<K extends EventName>(
    name: K,
    match?: (p: FerryEvents[K]) => boolean,
    timeoutMs?: number,
  ): Promise<FerryEvents[K]>;
}

export async function startNode(name: string, options: Partial<FerryNodeOptions> = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? (await tempDir(`ferry-${name}-`));
  const node = await FerryNode.start({
    host: '127.0.0.1',
    port: 0,
    discovery: false,
    ipmsg: false,
    name,
    ...options,
    dataDir,
  });
  running.add(node);
  const events: FerryEvent[] = [];
  const waiters = new Set<() => void>();
  node.subscribe((e) => {
    events.push(e);
    for (const w of waiters) w();
  });
  return {
    node,
    dataDir,
    address: `127.0.0.1:${node.listeningPort}`,
    events,
    waitFor(nameWanted, match = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find((e) => e.name === nameWanted && match(e.payload as never));
          if (!hit) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit.payload as never);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `${name}: no "${nameWanted}" event matched within ${timeoutMs} ms; saw ${events.map((e) => e.name).join(', ')}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
}

export async function stopNode(t: TestNode): Promise<void> {
  await t.node.stop();
  running.delete(t.node);
}

/**
 * Fan-out hub, run as its own process: a real Ferry node that waits for N peers
 * to connect, sends one message to each, and reports the time until the last ack
 * and its own memory with N connections.
 *   node --import tsx bench/fanout-hub.ts DATA_DIR N   → {"port":…} then {"ms":…,"rss":…}
 */
import { FerryNode } from '../electron/core/ferry-node';
import { directConversationId } from '../shared/conversation-id';

const [dataDir, countArg] = process.argv.slice(2);
const count = Number(countArg);

async function main(): Promise<void> {
  const node = await FerryNode.start({
    dataDir: dataDir!,
    host: '127.0.0.1',
    port: 0,
    discovery: false,
    ipmsg: false,
    name: 'hub',
  });
  const online = new Set<string>();
  let allOnline!: () => void;
  const everyoneHere = new Promise<void>((r) => (allOnline = r));
  const pending = new Set<string>();
  let allAcked!: () => void;
  const everyoneAcked = new Promise<void>((r) => (allAcked = r));
  node.subscribe(({ name, payload }) => {
    if (name === 'peerUpdated' && (payload as { online: boolean }).online) {
      online.add((payload as { id: string }).id);
      if (online.size === count) allOnline();
    }
    if (name === 'messageUpdated' && (payload as { state: string }).state === 'delivered') {
      pending.delete((payload as { id: string }).id);
      if (pending.size === 0) allAcked();
    }
  });
  process.stdout.write(`${JSON.stringify({ port: node.listeningPort })}\n`);
  await everyoneHere;
  const rssConnected = process.memoryUsage().rss;
  const started = process.hrtime.bigint();
  for (const id of online) pending.add((await node.sendMessage(directConversationId(id), 'fan-out ping')).id);
  await everyoneAcked;
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms, rss: rssConnected, rssAfter: process.memoryUsage().rss })}\n`);
  await node.stop();
  process.exit(0);
}

void main();

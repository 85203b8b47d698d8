/**
 * Chat round trip (send → ack) between two Ferry nodes in separate processes.
 * This process is the sender; the receiver is a `ferry listen --accept` child.
 * With FILE, the same node first starts sending FILE to the same peer, and the
 * messages are measured while that transfer runs. Prints p50/p99/max in ms.
 *   node --import tsx bench/chat-latency.ts DATA_DIR RECEIVER_ADDRESS COUNT [FILE]
 */
import { FerryNode } from '../electron/core/ferry-node';
import { directConversationId } from '../shared/conversation-id';

const [dataDir, address, countArg, file] = process.argv.slice(2);

async function main(): Promise<void> {
  const node = await FerryNode.start({
    dataDir: dataDir!,
    host: '127.0.0.1',
    port: 0,
    discovery: false,
    ipmsg: false,
    name: 'latency',
  });
  const peer = await node.addPeer(address!);
  const acked = new Map<string, () => void>();
  let transferActive = false;
  let transferDone = !file;
  node.subscribe(({ name, payload }) => {
    if (name === 'messageUpdated' && (payload as { state: string }).state === 'delivered')
      acked.get((payload as { id: string }).id)?.();
    if (name === 'transferProgress') transferActive = true;
    if (name === 'transferUpdated' && ['done', 'failed', 'cancelled'].includes((payload as { state: string }).state))
      transferDone = true;
  });
  if (file) {
    await node.sendFiles(directConversationId(peer.id), [file]);
    while (!transferActive) await new Promise((r) => setTimeout(r, 5));
  }
  const samples: number[] = [];
  for (let i = 0; i < Number(countArg); i++) {
    if (file && transferDone) break; // only samples taken while the transfer ran count
    const started = process.hrtime.bigint();
    let done!: () => void;
    const wait = new Promise<void>((r) => (done = r));
    const message = await node.sendMessage(directConversationId(peer.id), `ping ${i}`);
    acked.set(message.id, done);
    await wait;
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    await new Promise((r) => setTimeout(r, 5));
  }
  samples.sort((a, b) => a - b);
  const pick = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
  process.stdout.write(
    `${JSON.stringify({ p50: pick(0.5), p99: pick(0.99), max: samples.at(-1) ?? NaN, n: samples.length, duringTransfer: !!file })}\n`,
  );
  await node.stop();
  process.exit(0);
}

void main();

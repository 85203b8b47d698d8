/**
 * The engine under attack in `npm run soak`, in its own process so its RSS is its own.
 * Prints one JSON line when listening, then {"rss": bytes} every 5 s.
 *   node --import tsx bench/soak-target.ts <dataDir> <udpPort> <goodPeerId>
 */
import type { PeerDto } from '../shared/dto';
import { FerryNode } from '../electron/core/ferry-node';
import { installLastResort } from '../electron/core/last-resort';

const [dataDir, udpPort, goodId] = process.argv.slice(2);
const node = await FerryNode.start({
  dataDir: dataDir!,
  host: '127.0.0.1',
  port: 0,
  name: 'Target',
  autoAccept: 'verified',
  discovery: true,
  // Loopback only: nothing leaves this machine.
  discoveryOptions: { port: Number(udpPort), interfaces: ['127.0.0.1'], announceIntervalMs: 2_000, expiryMs: 10_000 },
});
installLastResort({ context: () => 'soak target', shutdown: () => node.stop() });
let notices = 0;
node.subscribe((e) => {
  if (e.name === 'notice') notices++;
  // The good peer is verified as soon as it shows up, so its files are accepted by themselves.
  if (e.name !== 'peerUpdated') return;
  const peer = e.payload as PeerDto;
  if (peer.id === goodId && !peer.verified) void node.setPeerVerified(goodId, true);
});
process.stdout.write(`${JSON.stringify({ port: node.listeningPort, id: node.peerId })}\n`);
setInterval(() => {
  process.stdout.write(
    `${JSON.stringify({ rss: process.memoryUsage().rss, notices, live: node.transfers.liveCount, dials: node.announceDialing })}\n`,
  );
}, 5_000);
process.once('SIGTERM', () => void node.stop().then(() => process.exit(0)));

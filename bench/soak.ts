/**
 * `npm run soak -- [--minutes 10]`: one engine (its own process) under the abuse of
 * issue 11 while a good peer chats and sends files through it. Prints RSS over time,
 * the good peer's message round trip (p50/p99), files delivered, and any crash.
 * Everything on 127.0.0.0/8; discovery on loopback only. Not part of .ci/run.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { MessageDto, TransferDto } from '../shared/dto';
import { ferryPeerId } from '../shared/peer-id';
import { encodeAnnounce } from '../electron/core/discovery/announce-packet';
import { FerryNode } from '../electron/core/ferry-node';
import { createIdentity } from '../electron/core/identity/device-identity';
import { manyFiles, sendOffer } from '../test/helpers/raw-offer';
import { rawControl, type RawPeer } from '../test/helpers/raw-peer';
import { directConversationId } from '../shared/conversation-id';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
const durationMs = Number(values.minutes) * 60_000;
const work = await mkdtemp(path.join(os.tmpdir(), 'ferry-soak-'));
const udpPort = 20_000 + Math.floor(Math.random() * 40_000);
let running = true;
const deadline = Date.now() + durationMs;

// The good peer, in this process.
const good = await FerryNode.start({
  dataDir: path.join(work, 'good'),
  host: '127.0.0.1',
  port: 0,
  name: 'Good',
  discovery: false,
  ipmsg: false,
});

// The target, in its own process.
const target = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    path.join(import.meta.dirname, 'soak-target.ts'),
    path.join(work, 'target'),
    String(udpPort),
    ferryPeerId(good.identity.id),
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let crashed: string | null = null;
let targetErr = '';
target.stderr.setEncoding('utf8').on('data', (d: string) => (targetErr += d));
target.once('exit', (code, signal) => {
  if (running) crashed = `target exited (code ${code}, signal ${signal}): ${targetErr.slice(-2000)}`;
});
const samples: { t: number; rss: number; notices: number; live: number }[] = [];
const ready = new Promise<{ port: number; id: string }>((resolve) => {
  createInterface({ input: target.stdout }).on('line', (line) => {
    const j = JSON.parse(line) as { port?: number; id?: string; rss?: number; notices?: number; live?: number };
    if (j.port) resolve({ port: j.port, id: j.id! });
    if (j.rss)
      samples.push({ t: Math.round((Date.now() - start) / 1000), rss: j.rss, notices: j.notices!, live: j.live! });
  });
});
const start = Date.now();
const { port, id: targetId } = await ready;
await good.addPeer(`127.0.0.1:${port}`);

// Good peer: a message every 250 ms (round trip = sendMessage → delivered), a 4 MiB file every 30 s.
const rtts: number[] = [];
const pending = new Map<string, number>();
let filesDone = 0;
let filesSent = 0;
good.subscribe((e) => {
  if (e.name === 'messageUpdated') {
    const m = e.payload as MessageDto;
    const at = pending.get(m.id);
    if (m.state === 'delivered' && at !== undefined) {
      rtts.push(Date.now() - at);
      pending.delete(m.id);
    }
  }
  if (e.name === 'transferUpdated') {
    const t = e.payload as TransferDto;
    if (t.direction === 'out' && t.state === 'done') filesDone++;
  }
});
const file = path.join(work, 'payload.bin');
await writeFile(file, randomBytes(4 * 1024 * 1024));
const chatLoop = (async () => {
  while (running) {
    const id = randomUUID();
    pending.set(id, Date.now());
    await good.sendMessage(directConversationId(targetId), `hello ${id}`, { id }).catch(() => pending.delete(id));
    await new Promise((r) => setTimeout(r, 250));
  }
})();
const fileLoop = (async () => {
  while (running) {
    filesSent++;
    await good.sendFiles(directConversationId(targetId), [file]).catch(() => {});
    await new Promise((r) => setTimeout(r, 30_000));
  }
})();

// Abuse 1: chat flood (64 KiB messages) from one raw peer, reconnecting whenever it is cut.
// Abuse 2: offer bomb (10,000 entries per offer) from another raw peer, one offer a second.
async function abuser(kind: 'chat' | 'offers'): Promise<void> {
  const identity = await createIdentity();
  while (running) {
    let peer: RawPeer;
    try {
      peer = await rawControl(port, identity);
    } catch {
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    const text = Buffer.alloc(60 * 1024, 0x61);
    while (running && !peer.socket.destroyed) {
      if (kind === 'chat') {
        for (let i = 0; i < 20; i++) peer.send({ type: 'message', id: randomUUID(), sentAt: Date.now() }, text);
        await new Promise((r) => setTimeout(r, 50));
      } else {
        sendOffer(peer, manyFiles(10_000, randomUUID()));
        await new Promise((r) => setTimeout(r, 1_000));
      }
      peer.frames.length = 0;
    }
    peer.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Abuse 3: 1,100 idle TCP connections from 127.0.0.5, reopened as soon as they are cut.
const floodSockets = new Set<net.Socket>();
function floodOne(): void {
  if (!running) return;
  const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.5' });
  floodSockets.add(s);
  s.on('error', () => {});
  s.once('close', () => {
    floodSockets.delete(s);
    setTimeout(floodOne, 100);
  });
}
for (let i = 0; i < 1_100; i++) floodOne();

// Abuse 4: ~500 spoofed announcements a second with fresh ids from 16 loopback addresses.
const udp: dgram.Socket[] = [];
for (let i = 0; i < 16; i++) {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, `127.0.0.${40 + i}`, () => r()));
  udp.push(s);
}
const announceTimer = setInterval(() => {
  for (const s of udp)
    for (let i = 0; i < 3; i++)
      s.send(
        encodeAnnounce({
          kind: 'announce',
          v: 1,
          id: randomBytes(32).toString('hex'),
          name: 'fake',
          platform: 'x',
          port: 9,
        }),
        udpPort,
        '127.0.0.1',
      );
}, 100);

const abusers = [abuser('chat'), abuser('offers')];
const progress = setInterval(() => {
  const s = samples.at(-1);
  process.stdout.write(
    `t=${Math.round((Date.now() - start) / 1000)}s rss=${s ? (s.rss / 1048576).toFixed(0) : '?'} MiB messages=${rtts.length} files=${filesDone}/${filesSent} notices=${s?.notices ?? '?'}\n`,
  );
}, 30_000);

while (Date.now() < deadline && !crashed) await new Promise((r) => setTimeout(r, 1_000));
running = false;
clearInterval(announceTimer);
clearInterval(progress);
for (const s of floodSockets) s.destroy();
await Promise.all([chatLoop, fileLoop, ...abusers]);
udp.forEach((s) => s.close());
target.kill('SIGTERM');
await good.stop();

const sorted = [...rtts].sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const rss = samples.map((s) => s.rss / 1048576);
console.log('\n== soak result ==');
console.log(`duration: ${values.minutes} min; crash: ${crashed ?? 'none'}`);
console.log(`target RSS (MiB) every 5 s: ${rss.map((r) => r.toFixed(0)).join(' ')}`);
console.log(
  `target RSS: first ${rss[0]?.toFixed(0)} MiB, max ${Math.max(...rss).toFixed(0)} MiB, last ${rss.at(-1)?.toFixed(0)} MiB`,
);
console.log(
  `good peer: ${rtts.length} messages delivered, round trip p50 ${pct(50)} ms, p99 ${pct(99)} ms; ${pending.size} undelivered at the end`,
);
console.log(`good peer files: ${filesDone} of ${filesSent} delivered`);
console.log(
  `notices pushed by the target: ${samples.at(-1)?.notices}; transfers held in memory: ${samples.at(-1)?.live}`,
);
await rm(work, { recursive: true, force: true });
process.exit(crashed ? 1 : 0);

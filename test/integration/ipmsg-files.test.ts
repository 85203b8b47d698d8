/**
 * Files and folders with IP Messenger peers, through the engine's contract, against
 * a raw peer (UDP offers, TCP GETFILEDATA / GETDIRFILES) that sends the bytes FeiQ /
 * IP Messenger / iptux send — or lies. Loopback addresses on one free port standing
 * in for 2425; nothing is broadcast, nothing leaves the machine. The real iptux is
 * in test/interop/ipmsg-iptux.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDirStream } from '../../electron/core/ipmsg/ipmsg-dir-stream';
import { FILE_ATTR, MODE, OPT, parseAttachments } from '../../electron/core/ipmsg/ipmsg-packet';
import type { FerryNodeOptions } from '../../electron/core/ferry-node';
import { startNode, type TestNode } from '../helpers/nodes';
import { rawIpmsgPeer, type RawIpmsgPeer, type Received } from '../helpers/ipmsg-peer';
import { dirHeader, fetchFrom, freeIpmsgPort, rawFileServer, type RawFileServer } from '../helpers/ipmsg-tcp';
import { tempDir } from '../helpers/temp-dir';

const FERRY_IP = '127.0.0.1';
const PEER_IP = '127.0.0.2';
const STRANGER_IP = '127.0.0.3';
const PEER = `ipmsg:${PEER_IP}`;
const CONVERSATION = `direct:${PEER}`;
const IPTUX = { version: '1_iptux 0.8.3', user: 'root', host: 'vm' };

let port: number;
let ferry: TestNode;
let peer: RawIpmsgPeer;
let server: RawFileServer | null = null;
let downloads: string;

function options(extra: Partial<FerryNodeOptions> = {}): Partial<FerryNodeOptions> {
  return {
    ipmsg: true,
    ipmsgOptions: { port, bind: FERRY_IP, broadcast: false, retryMs: 150, retries: 3, idleTimeoutMs: 5_000 },
    ...extra,
  };
}

async function iptuxEnters(): Promise<void> {
  peer.send(MODE.BR_ENTRY | OPT.ABSENCE, 'iptux-peer', { sections: ['QA', 'icon-tux.png', 'utf-8'] });
  await ferry.waitFor('peerUpdated', (p) => p.id === PEER && p.online);
}

/** The raw peer offers entries (`fileId:name:size:mtime:attr:`); resolves with the offer card Ferry shows. */
async function offer(entries: string[]) {
  const packetNo = peer.send(MODE.SENDMSG | OPT.FILEATTACH, '', {
    sections: [entries.map((e) => `${e}\u0007`).join('')],
  });
  const card = await ferry.waitFor('transferUpdated', (t) => t.direction === 'in' && t.state === 'offered');
  return { packetNo, card };
}

const hex = (n: number) => n.toString(16);
const UP = dirHeader('.', 0, FILE_ATTR.RETPARENT);
const now = () => hex(Math.floor(Date.now() / 1000));

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    out.push(path.relative(dir, path.join(e.parentPath, e.name)) + (e.isDirectory() ? '/' : ''));
  return out.sort();
}

beforeEach(async () => {
  port = await freeIpmsgPort([FERRY_IP, PEER_IP]);
  // The save folder sits alone in a folder of its own: a write outside it would show there.
  downloads = path.join(await tempDir('ferry-ipmsg-dl-'), 'downloads');
  ferry = await startNode('ferry', options({ downloadDir: downloads, autoAccept: 'any' }));
  peer = await rawIpmsgPeer(PEER_IP, port, { ip: FERRY_IP, port }, IPTUX);
  await iptuxEnters();
});
afterEach(async () => {
  await server?.close();
  server = null;
  await peer.close();
});

describe('receiving from an IP Messenger peer', () => {
  it('an offer is a card that waits for a click (even with auto-accept on); accepted, each file is fetched byte for byte', async () => {
    const a = randomBytes(100_000);
    const b = Buffer.from('hello: world\n');
    server = await rawFileServer(PEER_IP, port, (r) => (r.fields[1] === '0' ? a : b));
    const { packetNo, card } = await offer([
      `0:数据 a.bin:${hex(a.length)}:${now()}:1:`,
      `1:notes::v2.txt:${hex(b.length)}:${now()}:1:`,
    ]);
    expect(card).toMatchObject({
      peerId: PEER,
      totalBytes: a.length + b.length,
      files: [
        { path: '数据 a.bin', size: a.length },
        { path: 'notes_v2.txt', size: b.length },
      ],
    });
    // Never accepted by itself: the peer is unauthenticated.
    expect((await ferry.node.listTransfers(CONVERSATION))[0]!.state).toBe('offered');
    await ferry.node.acceptTransfer(card.id);
    const done = await ferry.waitFor('transferUpdated', (t) => t.id === card.id && t.state === 'done');
    expect(await readFile(path.join(downloads, '数据 a.bin'))).toEqual(a);
    expect(await readFile(path.join(downloads, 'notes_v2.txt'))).toEqual(b);
    expect(done.bytesDone).toBe(a.length + b.length);
    expect(server.requests.map((r) => [r.mode, r.fields.slice(0, 3)])).toEqual([
      [MODE.GETFILEDATA, [hex(packetNo), '0', '0']],
      [MODE.GETFILEDATA, [hex(packetNo), '1', '0']],
    ]);
    expect(ferry.events.some((e) => e.name === 'transferProgress' && e.payload.id === card.id)).toBe(true);
    expect(await listTree(downloads)).toEqual(['notes_v2.txt', '数据 a.bin']);
  });

  it('a folder is fetched as a GETDIRFILES stream into a fresh folder; an existing one is never overwritten', async () => {
    await mkdir(path.join(downloads, 'photos'), { recursive: true });
    const x = randomBytes(5_000);
    server = await rawFileServer(PEER_IP, port, () => [
      dirHeader('photos', 0, FILE_ATTR.DIR),
      dirHeader('2024 春', 0, FILE_ATTR.DIR),
      dirHeader('x.jpg', x.length, FILE_ATTR.REGULAR),
      x,
      dirHeader('empty.txt', 0, FILE_ATTR.REGULAR),
      dirHeader('.', 0, FILE_ATTR.RETPARENT),
      dirHeader('readme', 3, FILE_ATTR.REGULAR),
      Buffer.from('abc'),
      dirHeader('.', 0, FILE_ATTR.RETPARENT),
    ]);
    const { card } = await offer([`0:photos:0:${now()}:2:`]);
    expect(card.files).toEqual([expect.objectContaining({ path: 'photos', isDirectory: true })]);
    await ferry.node.acceptTransfer(card.id);
    await ferry.waitFor('transferUpdated', (t) => t.id === card.id && t.state === 'done');
    expect(server.requests[0]!.mode).toBe(MODE.GETDIRFILES);
    expect(await listTree(downloads)).toEqual([
      'photos (1)/',
      'photos (1)/2024 春/',
      'photos (1)/2024 春/empty.txt',
      'photos (1)/2024 春/x.jpg',
      'photos (1)/readme',
      'photos/',
    ]);
    expect(await readFile(path.join(downloads, 'photos (1)', '2024 春', 'x.jpg'))).toEqual(x);
  });

  it('declining tells the sender to free the files (RELEASEFILES with the packet number)', async () => {
    const { packetNo, card } = await offer([`0:a.txt:5:${now()}:1:`]);
    await ferry.node.declineTransfer(card.id);
    const release = await peer.waitFor((p: Received) => p.mode === MODE.RELEASEFILES, 'RELEASEFILES');
    expect(release.extra.toString('latin1')).toBe(String(packetNo));
  });

  it.each([
    ['more', Buffer.alloc(120, 1)],
    ['fewer', Buffer.alloc(80, 1)],
  ])(
    'a sender that sends %s bytes than offered fails that file (SIZE_MISMATCH), saves nothing of it',
    async (_, sent) => {
      const good = Buffer.from('fine');
      server = await rawFileServer(PEER_IP, port, (r) => (r.fields[1] === '0' ? sent : good));
      const { card } = await offer([`0:liar.bin:${hex(100)}:${now()}:1:`, `1:ok.txt:4:${now()}:1:`]);
      await ferry.node.acceptTransfer(card.id);
      const failed = await ferry.waitFor('transferUpdated', (t) => t.id === card.id && t.state === 'failed');
      expect(failed.error?.code).toBe('SIZE_MISMATCH');
      expect(failed.files[0]).toMatchObject({ state: 'failed', error: { code: 'SIZE_MISMATCH' } });
      expect(failed.files[1]).toMatchObject({ state: 'done' });
      expect(await listTree(downloads)).toEqual(['ok.txt']);
    },
  );

  it.each([
    // Each stream is well formed but for the one flaw, and closes its folders: only that flaw can stop it.
    ['a name that climbs out', [dirHeader('d', 0, 2), dirHeader('../evil', 4, 1), Buffer.from('evil'), UP]],
    [
      'a ".." folder',
      [dirHeader('d', 0, 2), dirHeader('..', 0, 2), dirHeader('evil', 4, 1), Buffer.from('evil'), UP, UP],
    ],
    ['a size that is not hex', [dirHeader('d', 0, 2), Buffer.from('0010:evil:zz:1:'), Buffer.from('evil'), UP]],
    [
      'a header length that is not hex',
      [dirHeader('d', 0, 2), dirHeader('evil', 4, 1, 'xyz!'), Buffer.from('evil'), UP],
    ],
    [
      'a header over 512 bytes',
      [dirHeader('d', 0, 2), dirHeader(`evil${'e'.repeat(600)}`, 4, 1), Buffer.from('evil'), UP],
    ],
    ['a depth bomb', Array.from({ length: 200 }, (_, i) => dirHeader(`d${i}`, 0, 2))],
    ['a stream that ends inside a folder', [dirHeader('d', 0, 2), dirHeader('ok', 2, 1), Buffer.from('ok')]],
  ])('a hostile folder stream (%s) fails the folder; nothing is written outside the save folder', async (_, stream) => {
    server = await rawFileServer(PEER_IP, port, () => stream);
    const { card } = await offer([`0:d:0:${now()}:2:`]);
    await ferry.node.acceptTransfer(card.id);
    const failed = await ferry.waitFor('transferUpdated', (t) => t.id === card.id && t.state === 'failed');
    expect(['BAD_FRAME', 'NAME_REJECTED']).toContain(failed.error?.code);
    expect(await readdir(path.dirname(downloads))).toEqual(['downloads']);
    const tree = await listTree(downloads);
    expect(tree.every((p) => p === 'd/' || p.startsWith('d/'))).toBe(true);
    expect(tree.filter((p) => p.includes('evil'))).toEqual([]);
  });
});

describe('sending to an IP Messenger peer', () => {
  async function sendAndReadOffer(paths: string[]) {
    const transfer = await ferry.node.sendFiles(CONVERSATION, paths);
    const packet = await peer.waitFor(
      (p) => p.mode === MODE.SENDMSG && (p.command & OPT.FILEATTACH) !== 0,
      'the offer packet',
    );
    peer.send(MODE.RECVMSG, String(packet.packetNo)); // as iptux does: the offer arrived
    return { transfer, packet, entries: parseAttachments(packet.sections[0]!) };
  }

  it('an offer nobody acknowledges is re-sent (the same packet, a bounded number of times), then the peer shows offline', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'lost.txt');
    await writeFile(file, 'x');
    await ferry.node.sendFiles(CONVERSATION, [file]);
    const notice = await ferry.waitFor('notice', (n) => n.code === 'PEER_OFFLINE');
    expect(notice.message).toContain('did not acknowledge a file offer');
    const offers = peer.received.filter((p) => p.mode === MODE.SENDMSG && (p.command & OPT.FILEATTACH) !== 0);
    expect(offers).toHaveLength(3);
    expect(new Set(offers.map((p) => p.packetNo)).size).toBe(1);
    expect((offers[0]!.command & OPT.SENDCHECK) !== 0).toBe(true);
  });

  it('offers a file (decimal ids, hex sizes, doubled colons) and serves it to the peer; done once fetched', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'a:b 文件.bin');
    const content = randomBytes(300_000);
    await writeFile(file, content);
    const { transfer, packet, entries } = await sendAndReadOffer([file]);
    expect(entries).toEqual([
      expect.objectContaining({
        fileId: 0,
        size: content.length,
        attr: FILE_ATTR.REGULAR,
        name: Buffer.from('a:b 文件.bin'),
      }),
    ]);
    expect(packet.sections[0]!.toString('utf8')).toContain('0:a::b 文件.bin:');
    const got = await fetchFrom({ ip: FERRY_IP, port }, PEER_IP, MODE.GETFILEDATA, `${hex(packet.packetNo)}:0:0`);
    expect(got.equals(content)).toBe(true);
    await ferry.waitFor('transferUpdated', (t) => t.id === transfer.id && t.state === 'done');
  });

  it('serves nobody else: another address, a file id never offered, a packet never sent, a garbled request', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'secret.txt');
    await writeFile(file, 'top secret');
    const { transfer, packet } = await sendAndReadOffer([file]);
    const pno = hex(packet.packetNo);
    const at = { ip: FERRY_IP, port };
    expect((await fetchFrom(at, STRANGER_IP, MODE.GETFILEDATA, `${pno}:0:0`)).length).toBe(0);
    expect((await fetchFrom(at, PEER_IP, MODE.GETFILEDATA, `${pno}:1:0`)).length).toBe(0);
    expect((await fetchFrom(at, PEER_IP, MODE.GETFILEDATA, `${hex(packet.packetNo + 1)}:0:0`)).length).toBe(0);
    expect((await fetchFrom(at, PEER_IP, MODE.GETDIRFILES, `${pno}:0`)).length).toBe(0);
    expect((await fetchFrom(at, PEER_IP, MODE.GETFILEDATA, `${pno}:zz:0`)).length).toBe(0);
    expect((await ferry.node.listTransfers(CONVERSATION)).find((t) => t.id === transfer.id)?.state).toBe('offered');
    // The peer itself still gets it.
    expect((await fetchFrom(at, PEER_IP, MODE.GETFILEDATA, `${pno}:0:0`)).toString()).toBe('top secret');
  });

  it('a folder goes out as a GETDIRFILES stream the peer can unpack', async () => {
    const dir = await tempDir();
    const folder = path.join(dir, '文件夹');
    await mkdir(path.join(folder, 'sub', 'empty'), { recursive: true });
    const big = randomBytes(70_000);
    await writeFile(path.join(folder, 'sub', 'big.bin'), big);
    await writeFile(path.join(folder, 'top.txt'), 'top');
    const { transfer, packet, entries } = await sendAndReadOffer([folder]);
    expect(entries).toEqual([expect.objectContaining({ fileId: 0, attr: FILE_ATTR.DIR, size: big.length + 3 })]);
    const stream = await fetchFrom({ ip: FERRY_IP, port }, PEER_IP, MODE.GETDIRFILES, `${hex(packet.packetNo)}:0`);
    const seen: string[] = [];
    const stack: string[] = [];
    for await (const item of readDirStream(
      (async function* () {
        yield stream;
      })(),
      (b) => b.toString('utf8'),
      {
        maxDepth: 8,
        maxEntries: 100,
        maxBytes: 1e6,
      },
    )) {
      if (item.kind === 'up') stack.pop();
      else if (item.kind === 'dir') {
        seen.push([...stack, item.name].join('/') + '/');
        stack.push(item.name);
      } else {
        const chunks: Buffer[] = [];
        for await (const c of item.bytes) chunks.push(c);
        seen.push(
          `${[...stack, item.name].join('/')}=${Buffer.concat(chunks).equals(item.name === 'big.bin' ? big : Buffer.from('top'))}`,
        );
      }
    }
    expect(seen.sort()).toEqual(['sub/', 'sub/big.bin=true', 'sub/empty/', 'top.txt=true']);
    await ferry.waitFor('transferUpdated', (t) => t.id === transfer.id && t.state === 'done');
  });

  it('RELEASEFILES from the peer declines the offer, and it is served no more', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'x.txt');
    await writeFile(file, 'x');
    const { transfer, packet } = await sendAndReadOffer([file]);
    peer.send(MODE.RELEASEFILES, String(packet.packetNo));
    await ferry.waitFor('transferUpdated', (t) => t.id === transfer.id && t.state === 'declined');
    expect(
      (await fetchFrom({ ip: FERRY_IP, port }, PEER_IP, MODE.GETFILEDATA, `${hex(packet.packetNo)}:0:0`)).length,
    ).toBe(0);
  });
});

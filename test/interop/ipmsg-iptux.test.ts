/**
 * Ferry against the real thing: `ferry listen` (IP Messenger on, as the app
 * ships) in one network namespace, iptux's own engine (Debian's libiptux-core,
 * driven by test/interop/iptux/driver.cpp) in another, joined by a veth pair.
 * Both broadcast at start, so both run only inside namespaces this test creates
 * and deletes. Needs root (skipped with the reason otherwise).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnFerry, type FerryProcess, type JsonLine } from '../helpers/cli-process';
import { iptuxSkipReason, spawnIptux, type IptuxPeer } from '../helpers/iptux';
import { tempDir } from '../helpers/temp-dir';
import { createLan, deleteLan, run, vethLan } from '../helpers/veth-lan';

const skipReason = iptuxSkipReason();

const [FERRY, TUX] = vethLan('fi', 1, ['ferry', 'tux']);
const TUX_ID = `ipmsg:${TUX.ip}`;
const TUX_CONVERSATION = `direct:${TUX_ID}`;

let ferry: FerryProcess | null = null;
let tux: IptuxPeer | null = null;

async function startFerry(name = 'Ferry 渡船', extra: string[] = []): Promise<FerryProcess> {
  const dataDir = await tempDir('ferry-ipmsg-');
  ferry = spawnFerry(
    ['listen', '--json', '--data-dir', dataDir, '--name', name, '--port', '47820', ...extra],
    ['ip', 'netns', 'exec', FERRY.ns],
  );
  await ferry.waitFor((l) => l.event === 'listening', 30_000, 'ferry listening');
  return ferry;
}

async function startTux(options: { nick?: string; encoding?: string } = {}): Promise<IptuxPeer> {
  tux = await spawnIptux({
    netns: TUX.ns,
    ip: TUX.ip,
    nick: options.nick ?? 'tux 企鹅',
    group: 'QA',
    dataDir: await tempDir('ferry-iptux-'),
    encoding: options.encoding,
    retryUs: 300_000,
  });
  return tux;
}

/** Counts what leaves Ferry's namespace for a broadcast address (nftables counter rules). */
function countBroadcasts(): void {
  spawnSync('ip', ['netns', 'exec', FERRY.ns, 'nft', 'delete', 'table', 'inet', 'ferrytest'], { stdio: 'ignore' });
  run('ip', 'netns', 'exec', FERRY.ns, 'nft', 'add', 'table', 'inet', 'ferrytest');
  run(
    'ip',
    'netns',
    'exec',
    FERRY.ns,
    'nft',
    'add',
    'chain',
    'inet',
    'ferrytest',
    'out',
    '{ type filter hook output priority 0 ; }',
  );
  for (const daddr of ['255.255.255.255', '198.18.1.255'])
    run(
      'ip',
      'netns',
      'exec',
      FERRY.ns,
      'nft',
      'add',
      'rule',
      'inet',
      'ferrytest',
      'out',
      'ip',
      'daddr',
      daddr,
      'counter',
    );
}

function broadcastsSent(): number {
  const out = execFileSync(
    'ip',
    ['netns', 'exec', FERRY.ns, 'nft', '-j', 'list', 'chain', 'inet', 'ferrytest', 'out'],
    {
      encoding: 'utf8',
    },
  );
  let packets = 0;
  for (const item of (JSON.parse(out) as { nftables: { rule?: { expr: { counter?: { packets: number } }[] } }[] })
    .nftables)
    for (const expr of item.rule?.expr ?? []) packets += expr.counter?.packets ?? 0;
  return packets;
}

/** Every file under `dir` (relative path → SHA-256), and every folder (→ 'dir'). */
async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, full);
    out[rel] = e.isDirectory()
      ? 'dir'
      : createHash('sha256')
          .update(await readFile(full))
          .digest('hex');
  }
  return out;
}

/** The file and the folder arrived in `dir` byte for byte (SHA-256 of every file). */
async function expectSameBytes(sent: { file: string; folder: string }, dir: string): Promise<void> {
  const hash = async (f: string) =>
    createHash('sha256')
      .update(await readFile(f))
      .digest('hex');
  expect(await hash(path.join(dir, path.basename(sent.file)))).toBe(await hash(sent.file));
  expect(await hashTree(path.join(dir, path.basename(sent.folder)))).toEqual(await hashTree(sent.folder));
}

/** A file and a folder (CJK names, a space, a nested and an empty folder, an empty file, binary data). */
async function makeSendables(dir: string): Promise<{ file: string; folder: string }> {
  const file = path.join(dir, '报告 v2.bin');
  await writeFile(file, randomBytes(200_000));
  const folder = path.join(dir, '文件夹 A');
  await mkdir(path.join(folder, '子目录', '空'), { recursive: true });
  await writeFile(path.join(folder, '子目录', 'data.bin'), randomBytes(70_000));
  await writeFile(path.join(folder, 'empty.txt'), '');
  await writeFile(path.join(folder, 'hello.txt'), 'hello 你好\n');
  return { file, folder };
}

const tuxOnline = (l: JsonLine) => l.event === 'peerUpdated' && l.id === TUX_ID && l.online === true;

describe.skipIf(skipReason !== null)(`Ferry and iptux${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => {
    deleteLan([FERRY, TUX]);
    createLan([FERRY, TUX]);
  });
  afterAll(() => deleteLan([FERRY, TUX]));
  afterEach(async () => {
    await tux?.stop();
    if (ferry) {
      ferry.child.kill('SIGINT');
      await ferry.exited;
    }
    tux = null;
    ferry = null;
  });

  it('see each other: Ferry lists iptux as IP Messenger, iptux lists Ferry by its name; a goodbye is seen', async () => {
    const f = await startFerry();
    const t = await startTux();
    const seen = await f.waitFor(tuxOnline, 15_000, 'Ferry sees iptux');
    expect(seen).toMatchObject({
      protocol: 'ipmsg',
      name: 'tux 企鹅',
      platform: 'iptux',
      capabilities: expect.objectContaining({ encrypted: false, verifiable: false }),
    });
    const pal = await t.waitFor(
      (l) => l.event === 'pal' && l.ip === FERRY.ip && l.online === true,
      15_000,
      'iptux sees Ferry',
    );
    expect(pal.nick).toBe('Ferry 渡船');
    await t.stop();
    tux = null;
    await f.waitFor((l) => l.event === 'peerUpdated' && l.id === TUX_ID && l.online === false, 10_000, 'goodbye');
  }, 60_000);

  it('exchange messages both ways, CJK and line breaks intact, each acknowledged', async () => {
    const f = await startFerry();
    const t = await startTux();
    await f.waitFor(tuxOnline, 15_000, 'Ferry sees iptux');
    await t.waitFor((l) => l.event === 'pal' && l.ip === FERRY.ip && l.online === true, 15_000, 'iptux sees Ferry');

    const out = (await f.call('sendMessage', TUX_CONVERSATION, '你好 iptux 👋\n第二行')) as { id: string };
    const got = await t.waitFor((l) => l.event === 'message' && l.ip === FERRY.ip, 15_000, 'iptux gets it');
    expect(got.text).toBe('你好 iptux 👋\n第二行');
    await f.waitFor(
      (l) => l.event === 'messageUpdated' && l.id === out.id && l.state === 'delivered',
      15_000,
      'delivered at Ferry',
    );

    t.send({ cmd: 'send', ip: FERRY.ip, text: '收到！\nsecond line from iptux', id: 1 });
    const added = await f.waitFor(
      (l) => l.event === 'messageAdded' && l.conversationId === TUX_CONVERSATION && l.direction === 'in',
      15_000,
      'Ferry gets it',
    );
    expect(added.text).toBe('收到！\nsecond line from iptux');
    const sent = await t.waitFor((l) => l.event === 'messageSent' && l.id === 1, 15_000, 'iptux sent');
    expect(sent.acked).toBe(true);
  }, 60_000);

  it('with --no-discovery Ferry broadcasts nothing, yet answers iptux and reaches it when added by address', async () => {
    countBroadcasts();
    const f = await startFerry('Quiet Ferry', ['--no-discovery']);
    const t = await startTux();
    // iptux's own broadcast entry is answered (unicast): each sees the other.
    await f.waitFor(tuxOnline, 15_000, 'Ferry sees iptux');
    await t.waitFor((l) => l.event === 'pal' && l.ip === FERRY.ip && l.online === true, 15_000, 'iptux sees Ferry');
    const added = (await f.call('addPeer', `ipmsg:${TUX.ip}`)) as { id: string; manual: boolean };
    expect(added).toMatchObject({ id: TUX_ID, manual: true });
    f.child.kill('SIGINT');
    await f.exited;
    ferry = null;
    await t.waitFor(
      (l) => l.event === 'pal' && l.ip === FERRY.ip && l.online === false,
      10_000,
      'the goodbye, unicast',
    );
    expect(broadcastsSent()).toBe(0);
  }, 60_000);

  it("with --no-ipmsg nothing listens on port 2425, while Ferry's own discovery does", async () => {
    await startFerry('No IPMsg', ['--no-ipmsg']);
    const udp = execFileSync('ip', ['netns', 'exec', FERRY.ns, 'ss', '-Huln'], { encoding: 'utf8' });
    expect(udp).not.toMatch(/:2425\b/);
    expect(udp).toMatch(/:47821\b/);
  }, 60_000);

  it('an iptux whose nick hides a right-to-left override shows without it', async () => {
    const f = await startFerry();
    await startTux({ nick: 'Bob\u202Egpj.exe\u200B' });
    const seen = await f.waitFor(tuxOnline, 15_000, 'Ferry sees iptux');
    expect(seen.name).toBe('Bobgpj.exe');
  }, 60_000);

  it('an iptux set to GB18030 (like FeiQ) is shown by its name; messages both ways are readable', async () => {
    const f = await startFerry();
    const t = await startTux({ nick: '企鹅', encoding: 'gb18030' });
    const seen = await f.waitFor(tuxOnline, 15_000, 'Ferry sees iptux');
    expect(seen.name).toBe('企鹅');
    await t.waitFor((l) => l.event === 'pal' && l.ip === FERRY.ip && l.online === true, 15_000, 'iptux sees Ferry');
    t.send({ cmd: 'send', ip: FERRY.ip, text: '中文消息', id: 2 });
    await f.waitFor((l) => l.event === 'messageAdded' && l.text === '中文消息', 15_000, 'Ferry reads it');
    await f.call('sendMessage', TUX_CONVERSATION, '回复：中文');
    const got = await t.waitFor((l) => l.event === 'message' && l.ip === FERRY.ip, 15_000, 'iptux reads it');
    expect(got.text).toBe('回复：中文');
  }, 60_000);
  it('takes a file and a folder iptux offers: a card, accepted by hand, fetched byte for byte', async () => {
    const dir = await tempDir('ferry-ipmsg-files-');
    const downloads = path.join(dir, 'downloads');
    const { file, folder } = await makeSendables(await mkdirp(path.join(dir, 'src')));
    const f = await startFerry('Ferry 渡船', ['--download-dir', downloads]);
    const t = await startTux();
    await f.waitFor(tuxOnline, 15_000, 'Ferry sees iptux');
    await t.waitFor((l) => l.event === 'pal' && l.ip === FERRY.ip && l.online === true, 15_000, 'iptux sees Ferry');

    for (const [i, source] of [file, folder].entries()) {
      t.send({ cmd: 'sendFiles', ip: FERRY.ip, paths: [source], id: 20 + i });
      const card = await f.waitFor(
        (l) =>
          l.event === 'transferUpdated' &&
          l.direction === 'in' &&
          l.state === 'offered' &&
          !!(l.files as { path: string }[]).find((x) => x.path === path.basename(source)),
        15_000,
        `the offer of ${path.basename(source)}`,
      );
      await f.call('acceptTransfer', card.id);
      await f.waitFor(
        (l) => l.event === 'transferUpdated' && l.id === card.id && l.state === 'done',
        30_000,
        `${path.basename(source)} received`,
      );
      await t.waitFor((l) => l.event === 'sent' && l.ip === FERRY.ip && l.path === source, 15_000, 'iptux sent it');
    }
    await expectSameBytes({ file, folder }, downloads);
  }, 90_000);

  it('sends iptux a file and a folder: iptux fetches them byte for byte and Ferry marks them done', async () => {
    const dir = await tempDir('ferry-ipmsg-files-');
    const { file, folder } = await makeSendables(dir);
    const into = path.join(dir, 'at-iptux');
    const f = await startFerry();
    const t = await startTux();
    await f.waitFor(tuxOnline, 15_000, 'Ferry sees iptux');
    await t.waitFor((l) => l.event === 'pal' && l.ip === FERRY.ip && l.online === true, 15_000, 'iptux sees Ferry');

    for (const [i, source] of [file, folder].entries()) {
      const transfer = (await f.call('sendFiles', TUX_CONVERSATION, [source])) as { id: string };
      const offer = await t.waitFor(
        (l) =>
          l.event === 'offer' &&
          l.ip === FERRY.ip &&
          (l.files as { name: string }[])[0]?.name === path.basename(source),
        15_000,
        `iptux gets the offer of ${path.basename(source)}`,
      );
      t.send({ cmd: 'accept', packetNo: offer.packetNo, dir: into, id: 30 + i });
      const received = await t.waitFor((l) => l.event === 'received' && l.id === 30 + i, 30_000, 'iptux received it');
      expect(received.ok).toBe(true);
      await f.waitFor(
        (l) => l.event === 'transferUpdated' && l.id === transfer.id && l.state === 'done',
        15_000,
        `${path.basename(source)} done at Ferry`,
      );
    }
    await expectSameBytes({ file, folder }, into);
  }, 90_000);
});

// Keep the reason visible in the test report when skipped.
if (skipReason !== null) {
  describe('Ferry and iptux', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}

async function mkdirp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

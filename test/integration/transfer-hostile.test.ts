/**
 * A raw client that skips every check a real sender makes: hostile names,
 * data nobody accepted, sizes that lie. Everything lands inside the download
 * folder or is refused with a code; nothing outside it changes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TransferDto } from '../../shared/dto';
import { FerryError } from '../../electron/core/ferry-error';
import { startNode } from '../helpers/nodes';
import { rawControl, rawDataChannel, until } from '../helpers/raw-peer';
import { tempDir } from '../helpers/temp-dir';
import { tree } from '../helpers/transfer';
import { offerFrame, sendOffer } from '../helpers/raw-offer';

const HOSTILE = [
  '../../x',
  '../x',
  '..',
  '.',
  '/etc/passwd',
  '\\\\server\\share\\x',
  'C:\\x',
  'c:x',
  'C:/Windows/win.ini',
  'a/../../b',
  'a/./b',
  'dir/../../../escape',
  'foo\\..\\..\\bar',
  'CON',
  'con.txt',
  'NUL',
  'COM1',
  'LPT9.log',
  'AUX.tar.gz',
  'a\u0000b',
  'a\nb',
  'tab\there',
  '\u001b[31mred',
  'trailing.',
  'trailing ',
  'dots...',
  '   ',
  'x'.repeat(300),
  '中'.repeat(100),
  'e\u0301.txt',
  '\u00e9.txt',
  'a<b>c:d"e|f?g*h',
  'evil\u202etxt.exe',
  '~/x',
  '%APPDATA%\\x',
  `${'deep/'.repeat(40)}x`,
  '.hidden',
  'sym/escaped.txt',
  'normal.txt',
  'normal.txt',
];

async function snapshot(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const rel of await tree(dir)) {
    if (rel.startsWith('downloads/')) continue;
    parts.push(
      rel.endsWith('/')
        ? rel
        : `${rel}=${createHash('sha256')
            .update(await readFile(path.join(dir, rel)))
            .digest('hex')}`,
    );
  }
  return parts.join('\n');
}

describe('hostile senders', () => {
  it(`saves or refuses each of ${HOSTILE.length} hostile names, inside the download folder only`, async () => {
    const base = await tempDir();
    const downloads = path.join(base, 'downloads');
    await mkdir(path.join(base, 'outside'), { recursive: true });
    await writeFile(path.join(base, 'outside', 'keep.txt'), 'untouched');
    await writeFile(path.join(base, 'x'), 'sibling of the download folder');
    const before = await snapshot(base);
    const b = await startNode('Bob', { downloadDir: downloads, autoAccept: 'any' });
    const peer = await rawControl(b.node.listeningPort);
    const id = randomUUID();
    const contents = HOSTILE.map((_, i) => Buffer.from(`file ${i}\n`));
    sendOffer(
      peer,
      HOSTILE.map((p, i) => ({ path: p, size: contents[i]!.byteLength })),
      id,
    );
    await until(() => peer.frames.some((f) => f.type === 'offer-answer'), 10_000, 'offer-answer');
    const answer = peer.frames.find((f) => f.type === 'offer-answer') as unknown as {
      accept: boolean;
      rejected?: { index: number; code: string }[];
    };
    expect(answer.accept).toBe(true);
    const rejected = new Set((answer.rejected ?? []).map((r) => r.index));
    for (const r of answer.rejected ?? []) expect(r.code).toBe('NAME_REJECTED');

    // A symlink planted after acceptance must not lead a write outside.
    const accepted = (await b.node.listTransfers())[0]!;
    const symDest = accepted.files[HOSTILE.indexOf('sym/escaped.txt')]!.path.split('/')[0]!;
    await symlink(path.join(base, 'outside'), path.join(downloads, symDest));

    const channel = await rawDataChannel(b.node.listeningPort);
    const verdicts: { index: number; ok: boolean; code?: string }[] = [];
    for (let i = 0; i < HOSTILE.length; i++) {
      if (rejected.has(i)) continue;
      channel.writeFrame({ type: 'data-open', id, index: i, size: contents[i]!.byteLength });
      const reply = await channel.readFrame();
      if (reply.type === 'data-result') {
        verdicts.push({ index: i, ok: reply.ok, code: reply.code });
        continue;
      }
      expect(reply).toMatchObject({ type: 'data-ready', offset: 0 });
      await channel.writeRaw(contents[i]!);
      channel.writeFrame({
        type: 'data-end',
        id,
        index: i,
        sha256: createHash('sha256').update(contents[i]!).digest('hex'),
      });
      const result = await channel.expect('data-result');
      verdicts.push({ index: i, ok: result.ok, code: result.code });
    }
    channel.close();

    await b.waitFor('transferUpdated', (t) => t.id === id && t.state === 'failed');
    const final = (await b.node.listTransfers())[0]!;
    const realDownloads = await realpath(downloads);
    for (const [i, f] of final.files.entries()) {
      if (f.state === 'done') {
        const saved = await realpath(f.savedPath!);
        expect(saved.startsWith(realDownloads + path.sep), `${JSON.stringify(HOSTILE[i])} saved at ${saved}`).toBe(
          true,
        );
        expect(await readFile(saved)).toEqual(contents[i]);
      } else {
        expect(f.state, JSON.stringify(HOSTILE[i])).toBe('failed');
        expect(f.error?.code, JSON.stringify(HOSTILE[i])).toBe('NAME_REJECTED');
      }
    }
    const refusedNames = final.files.flatMap((f, i) => (f.state === 'failed' ? [HOSTILE[i]] : []));
    for (const name of [
      '../../x',
      '../x',
      '..',
      '.',
      '/etc/passwd',
      '\\\\server\\share\\x',
      'C:\\x',
      'c:x',
      'a/../../b',
      'a\u0000b',
      'a\nb',
      '   ',
      'sym/escaped.txt',
      `${'deep/'.repeat(40)}x`,
    ]) {
      expect(refusedNames, JSON.stringify(name)).toContain(name);
    }
    const saved = final.files.filter((f) => f.state === 'done').map((f) => path.relative(realDownloads, f.savedPath!));
    expect(saved).toEqual(
      expect.arrayContaining([
        '_CON',
        '_con.txt',
        '_NUL',
        '_COM1',
        '_LPT9.log',
        'trailing',
        'dots',
        'normal.txt',
        'normal (1).txt',
        '.hidden',
        '~/x',
      ]),
    );
    expect(saved).toContain('é.txt'.normalize('NFC'));
    expect(saved).toContain('é (1).txt'.normalize('NFC')); // NFD and NFC spellings collide after normalisation
    expect(saved.every((p) => Buffer.byteLength(path.basename(p)) <= 255)).toBe(true);
    expect(verdicts.filter((v) => !v.ok).every((v) => v.code === 'NAME_REJECTED')).toBe(true);
    expect(await snapshot(base)).toBe(before);
    expect(await readFile(path.join(base, 'outside', 'keep.txt'), 'utf8')).toBe('untouched');
  }, 60_000);

  it('refuses data nobody offered, data before acceptance, and a size other than offered; nothing is written', async () => {
    const downloads = await tempDir();
    const b = await startNode('Bob', { downloadDir: downloads });
    // 1. No offer at all.
    let channel = await rawDataChannel(b.node.listeningPort);
    channel.writeFrame({ type: 'data-open', id: randomUUID(), index: 0, size: 5 });
    await expect(channel.readFrame()).rejects.toMatchObject({ code: 'BAD_FRAME' });
    // 2. Offered but not accepted.
    const peer = await rawControl(b.node.listeningPort);
    const id = randomUUID();
    sendOffer(peer, [{ path: 'a.txt', size: 5 }], id);
    await b.waitFor('transferUpdated', (t) => t.id === id && t.state === 'offered');
    channel = await rawDataChannel(b.node.listeningPort);
    channel.writeFrame({ type: 'data-open', id, index: 0, size: 5 });
    await expect(channel.readFrame()).rejects.toMatchObject({ code: 'BAD_FRAME' });
    // 3. Accepted, but the data claims another size.
    await b.node.acceptTransfer(id);
    channel = await rawDataChannel(b.node.listeningPort);
    channel.writeFrame({ type: 'data-open', id, index: 0, size: 6 });
    await expect(channel.readFrame()).rejects.toMatchObject({ code: 'BAD_FRAME' });
    // 4. An index past the offer.
    channel = await rawDataChannel(b.node.listeningPort);
    channel.writeFrame({ type: 'data-open', id, index: 1, size: 5 });
    await expect(channel.readFrame()).rejects.toMatchObject({ code: 'BAD_FRAME' });
    expect(await tree(downloads)).toEqual([]);
    // The control link and the node are fine.
    expect(peer.socket.destroyed).toBe(false);
  }, 30_000);

  it('refuses a body longer than the offered size: no file under any name', async () => {
    const downloads = await tempDir();
    const b = await startNode('Bob', { downloadDir: downloads, autoAccept: 'any' });
    const peer = await rawControl(b.node.listeningPort);
    const id = randomUUID();
    sendOffer(peer, [{ path: 'short.txt', size: 10 }], id);
    await until(() => peer.frames.some((f) => f.type === 'offer-answer'), 5_000, 'offer-answer');
    const channel = await rawDataChannel(b.node.listeningPort);
    channel.writeFrame({ type: 'data-open', id, index: 0, size: 10 });
    await channel.expect('data-ready');
    await channel.writeRaw(Buffer.from('0123456789 and then a lot more than was offered'));
    const error = await channel.readFrame().catch((e: FerryError) => e);
    expect(error).toBeInstanceOf(FerryError);
    expect(['BAD_FRAME', 'FRAME_TOO_LARGE', 'UNKNOWN_FRAME']).toContain((error as FerryError).code);
    const t = await b.waitFor('transferUpdated', (x) => x.id === id && x.files[0]!.state === 'failed');
    expect(t.files[0]!.savedPath).toBeNull();
    expect(await tree(downloads)).toEqual([]);
  }, 30_000);

  it.each([
    ['a negative size', [{ path: 'a', size: -1 }]],
    ['a fractional size', [{ path: 'a', size: 1.5 }]],
    ['a size past 2^53', [{ path: 'a', size: 2 ** 60 }]],
    ['a folder with a size', [{ path: 'a', size: 3, dir: true }]],
  ])(
    'closes the control link on an offer with %s and records nothing',
    async (_what, entries) => {
      const downloads = await tempDir();
      const b = await startNode('Bob', { downloadDir: downloads, autoAccept: 'any' });
      const peer = await rawControl(b.node.listeningPort);
      const id = randomUUID();
      sendOffer(peer, entries, id);
      await peer.closed;
      expect(peer.frames.at(-1)).toMatchObject({ type: 'error' });
      expect(await b.node.listTransfers()).toEqual([] as TransferDto[]);
      expect(await tree(downloads)).toEqual([]);
    },
    30_000,
  );

  it('closes the control link when the offer header and body disagree', async () => {
    const b = await startNode('Bob', { autoAccept: 'any' });
    const peer = await rawControl(b.node.listeningPort);
    const { header, body } = offerFrame(randomUUID(), [{ path: 'a', size: 3 }]);
    peer.send({ ...header, totalBytes: 2 }, body);
    await peer.closed;
    expect(peer.frames.at(-1)).toMatchObject({ type: 'error', code: 'BAD_FRAME' });
    expect(await b.node.listTransfers()).toEqual([]);
  }, 30_000);
});

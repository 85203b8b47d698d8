/**
 * receiveFiles() on a real TLS data connection on 127.0.0.1, saving real files in
 * a temp folder. The other end is the real sendFile() or, for what a well-behaved
 * sender never does, a hand-driven DataChannel. The host records what the
 * receiver tells the transfer service.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tlsPair } from '../../../test/helpers/tls-pair';
import { waitUntil } from '../../../test/helpers/wait';
import { FerryError } from '../ferry-error';
import type { Transfer, TransferFile } from '../store/transfer-repo';
import { DataChannel } from './data-channel';
import { receiveFiles, type ReceiverHost } from './transfer-receiver';
import { sendFile } from './transfer-sender';
import { rejection } from '../../../test/helpers/rejection';

const ID = '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';
const PEER = 'a'.repeat(64);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.map((c) => c()));
  cleanup = [];
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function fileEntry(index: number, dest: string, size: number, extra: Partial<TransferFile> = {}): TransferFile {
  return {
    index,
    path: dest,
    size,
    mtime: 1_700_000_000_000,
    isDirectory: false,
    source: null,
    dest,
    part: null,
    saved: null,
    bytesDone: 0,
    state: 'pending',
    error: null,
    ...extra,
  };
}

type Call = [string, ...unknown[]];

/** A host that accepts data for `transfer` from PEER and records every call. */
function recordingHost(transfer: Transfer, over: Partial<ReceiverHost> = {}) {
  const calls: Call[] = [];
  let written = 0;
  const host: ReceiverHost = {
    receivable: (id, peerId) => (id === transfer.id && peerId === PEER ? transfer : undefined),
    attach: async (t) => void calls.push(['attach', t.id]),
    detach: (t) => void calls.push(['detach', t.id]),
    fileStarted: (_t, f) => void calls.push(['fileStarted', f.index]),
    fileBytes: (_t, f, n) => void calls.push(['fileBytes', f.index, n]),
    fileDone: (_t, f, saved) => void calls.push(['fileDone', f.index, saved]),
    fileFailed: (_t, f, e) => void calls.push(['fileFailed', f.index, e.code, e.message]),
    transferFailed: (_t, e) => void calls.push(['transferFailed', e.code]),
    interrupted: (_t, f, n) => void calls.push(['interrupted', f.index, n]),
    written: (n) => void (written += n),
    ...over,
  };
  return { host, calls, written: () => written, named: (name: string) => calls.filter((c) => c[0] === name) };
}

async function setup(files: TransferFile[]) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ferry-receiver-'));
  const saveDir = path.join(root, 'save');
  const sources = path.join(root, 'src');
  await mkdir(saveDir);
  await mkdir(sources);
  const pair = await tlsPair();
  cleanup.push(
    () => pair.close(),
    () => rm(root, { recursive: true, force: true }),
  );
  const transfer: Transfer = {
    id: ID,
    peerId: PEER,
    direction: 'in',
    state: 'active',
    createdAt: 1,
    updatedAt: 1,
    totalBytes: files.reduce((n, f) => n + f.size, 0),
    saveDir,
    error: null,
    files,
  };
  const sender = new DataChannel(pair.client, Buffer.alloc(0));
  const receiverChannel = new DataChannel(pair.server, Buffer.alloc(0));
  /** The outgoing side of file `f` with this content, as the real sender has it. */
  const source = async (f: TransferFile, content: Buffer): Promise<TransferFile> => {
    const p = path.join(sources, `${f.index}.bin`);
    await writeFile(p, content);
    const info = await stat(p);
    return { ...f, source: p, dest: null, size: content.byteLength, mtime: Math.trunc(info.mtimeMs) };
  };
  return { root, saveDir, transfer, sender, receiverChannel, source, pair };
}

describe('receiveFiles', () => {
  it('saves each offered file under its destination, verified, and reports it', async () => {
    const a = randomBytes(5000);
    const b = randomBytes(3 * 1024 * 1024 + 1);
    const files = [fileEntry(0, 'a.bin', a.byteLength), fileEntry(1, 'sub/deeper/b.bin', b.byteLength)];
    const s = await setup(files);
    const { host, calls, named, written } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    expect(await sendFile(s.sender, ID, await s.source(files[0]!, a), () => {})).toEqual({ ok: true });
    expect(await sendFile(s.sender, ID, await s.source(files[1]!, b), () => {})).toEqual({ ok: true });
    s.sender.close();
    await receiving;
    expect(await readFile(path.join(s.saveDir, 'a.bin'))).toEqual(a);
    expect((await readFile(path.join(s.saveDir, 'sub/deeper/b.bin'))).equals(b)).toBe(true);
    expect(await readdir(s.saveDir)).toEqual(['a.bin', 'sub']);
    expect(await readdir(path.join(s.saveDir, 'sub/deeper'))).toEqual(['b.bin']);
    expect(named('attach')).toEqual([['attach', ID]]);
    expect(named('fileStarted')).toEqual([
      ['fileStarted', 0],
      ['fileStarted', 1],
    ]);
    expect(named('fileDone')).toEqual([
      ['fileDone', 0, path.join(s.saveDir, 'a.bin')],
      ['fileDone', 1, path.join(s.saveDir, 'sub/deeper/b.bin')],
    ]);
    const bytesOf1 = named('fileBytes')
      .filter((c) => c[1] === 1)
      .map((c) => c[2]);
    expect(bytesOf1[0]).toBe(0);
    expect(bytesOf1.at(-1)).toBe(b.byteLength);
    expect(named('fileFailed')).toEqual([]);
    expect(named('interrupted')).toEqual([]);
    expect(calls.at(-1)).toEqual(['detach', ID]);
    expect(written()).toBe(a.byteLength + b.byteLength);
    expect(files[0]!.part).toBe(path.join(s.saveDir, 'a.bin.part'));
  });

  it('resumes a .part it already has from its length', async () => {
    const content = randomBytes(10_000);
    const f = fileEntry(0, 'r.bin', content.byteLength);
    const s = await setup([f]);
    const part = path.join(s.saveDir, 'r.bin.part');
    await writeFile(part, content.subarray(0, 4000));
    await writeFile(
      path.join(s.saveDir, 'r.bin.part.json'),
      JSON.stringify({ transferId: ID, index: 0, size: f.size, mtime: f.mtime, offset: 4000 }),
    );
    f.part = part;
    const { host, named, written } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: f.size });
    expect(await s.sender.expect('data-ready')).toMatchObject({ offset: 4000 });
    await s.sender.writeRaw(content.subarray(4000));
    s.sender.writeFrame({ type: 'data-end', id: ID, index: 0, sha256: sha(content) });
    expect(await s.sender.expect('data-result')).toEqual({ type: 'data-result', id: ID, index: 0, ok: true });
    s.sender.close();
    await receiving;
    expect((await readFile(path.join(s.saveDir, 'r.bin'))).equals(content)).toBe(true);
    expect(named('fileBytes')[0]).toEqual(['fileBytes', 0, 4000]);
    expect(written()).toBe(6000);
  });

  it('answers a complete .part with data-ready at its end and saves it without data', async () => {
    const content = randomBytes(100);
    const f = fileEntry(0, 'full.bin', 100);
    const s = await setup([f]);
    const part = path.join(s.saveDir, 'full.bin.part');
    await writeFile(part, content);
    await writeFile(
      path.join(s.saveDir, 'full.bin.part.json'),
      JSON.stringify({ transferId: ID, index: 0, size: 100, mtime: f.mtime, offset: 100 }),
    );
    f.part = part;
    const { host, written } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 100 });
    expect(await s.sender.expect('data-ready')).toMatchObject({ offset: 100 });
    s.sender.writeFrame({ type: 'data-end', id: ID, index: 0, sha256: sha(content) });
    expect(await s.sender.expect('data-result')).toMatchObject({ ok: true });
    s.sender.close();
    await receiving;
    expect(written()).toBe(0);
    expect(await readFile(path.join(s.saveDir, 'full.bin'))).toEqual(content);
  });

  it.each([
    ['another transfer', { id: '1b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10', index: 0, size: 5 }, {}],
    ['a file index it does not have', { id: ID, index: 7, size: 5 }, {}],
    ['another size', { id: ID, index: 0, size: 6 }, {}],
    ['a folder entry', { id: ID, index: 0, size: 5 }, { isDirectory: true }],
    ['an entry without a destination (refused by name)', { id: ID, index: 0, size: 5 }, { dest: null }],
  ])('refuses data for %s and writes nothing', async (_label, open, extra) => {
    const s = await setup([fileEntry(0, 'x.bin', 5, extra)]);
    const { host, calls } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', ...open });
    const err = await rejection<FerryError>(s.sender.readFrame());
    expect(err).toMatchObject({ code: 'BAD_FRAME' });
    expect(err.message).toContain('not offered and accepted');
    await receiving;
    expect(calls).toEqual([]);
    expect(await readdir(s.saveDir)).toEqual([]);
  });

  it('refuses data from another peer', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 5)]);
    const { host, calls } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, 'b'.repeat(64), host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 5 });
    expect(await rejection<FerryError>(s.sender.readFrame())).toMatchObject({ code: 'BAD_FRAME' });
    await receiving;
    expect(calls).toEqual([]);
  });

  it('stops with CANCELLED when the transfer was stopped while it waited to attach', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 5)]);
    let stopped = false;
    const { host, calls } = recordingHost(s.transfer, {
      receivable: (id) => (id === ID && !stopped ? s.transfer : undefined),
      attach: async () => {
        stopped = true;
        calls.push(['attach', ID]);
      },
    });
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 5 });
    expect(await rejection<FerryError>(s.sender.readFrame())).toMatchObject({
      code: 'CANCELLED',
      message: 'peer: the transfer was stopped',
    });
    await receiving;
    expect(calls).toEqual([
      ['attach', ID],
      ['detach', ID],
    ]);
    expect(await readdir(s.saveDir)).toEqual([]);
  });

  it('repeats its verdict for a file already done or failed', async () => {
    const files = [
      fileEntry(0, 'done.bin', 5, { state: 'done' }),
      fileEntry(1, 'failed.bin', 5, { state: 'failed', error: { code: 'HASH_MISMATCH', message: 'damaged' } }),
    ];
    const s = await setup(files);
    const { host, named } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 5 });
    expect(await s.sender.readFrame()).toEqual({ type: 'data-result', id: ID, index: 0, ok: true });
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 1, size: 5 });
    expect(await s.sender.readFrame()).toEqual({
      type: 'data-result',
      id: ID,
      index: 1,
      ok: false,
      code: 'HASH_MISMATCH',
      message: 'damaged',
    });
    s.sender.close();
    await receiving;
    expect(named('attach')).toHaveLength(1);
    expect(named('fileStarted')).toEqual([]);
    expect(await readdir(s.saveDir)).toEqual([]);
  });

  it('fails one file whose folder is taken by a file, and goes on with the next', async () => {
    const good = randomBytes(50);
    const files = [fileEntry(0, 'taken/x.bin', 5), fileEntry(1, 'ok.bin', good.byteLength)];
    const s = await setup(files);
    await writeFile(path.join(s.saveDir, 'taken'), 'I am a file');
    const { host, named } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 5 });
    const refused = await s.sender.readFrame();
    expect(refused).toMatchObject({ type: 'data-result', id: ID, index: 0, ok: false, code: 'NAME_REJECTED' });
    // The peer reads why, without our folder's path; the host gets the whole message.
    const told = (refused as { message: string }).message;
    expect(told).toBe('<local path> exists and is not a folder');
    expect(named('fileFailed')).toEqual([
      ['fileFailed', 0, 'NAME_REJECTED', `${path.join(s.saveDir, 'taken')} exists and is not a folder`],
    ]);
    expect(await sendFile(s.sender, ID, await s.source(files[1]!, good), () => {})).toEqual({ ok: true });
    s.sender.close();
    await receiving;
    expect(await readFile(path.join(s.saveDir, 'ok.bin'))).toEqual(good);
    expect(named('fileStarted')).toEqual([['fileStarted', 1]]);
  });

  it('fails the transfer when the save folder itself is gone', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 5)]);
    await rm(s.saveDir, { recursive: true });
    const { host, named } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 5 });
    expect(await rejection<FerryError>(s.sender.readFrame())).toMatchObject({ code: 'INTERNAL' });
    await receiving;
    expect(named('transferFailed')).toEqual([['transferFailed', 'INTERNAL']]);
    expect(named('interrupted')).toEqual([]);
  });

  it('refuses a file whose SHA-256 differs, keeps nothing of it, and goes on', async () => {
    const content = randomBytes(2000);
    const files = [fileEntry(0, 'bad.bin', 2000), fileEntry(1, 'next.bin', 3)];
    const s = await setup(files);
    const { host, named } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 2000 });
    await s.sender.expect('data-ready');
    await s.sender.writeRaw(content);
    s.sender.writeFrame({ type: 'data-end', id: ID, index: 0, sha256: sha(Buffer.from('something else')) });
    expect(await s.sender.readFrame()).toEqual({
      type: 'data-result',
      id: ID,
      index: 0,
      ok: false,
      code: 'HASH_MISMATCH',
      message: 'bad.bin arrived damaged (SHA-256 differs); it was not saved, send it again',
    });
    expect(named('fileFailed')).toEqual([
      ['fileFailed', 0, 'HASH_MISMATCH', 'bad.bin arrived damaged (SHA-256 differs); it was not saved, send it again'],
    ]);
    expect(files[0]!.part).toBeNull();
    expect(await sendFile(s.sender, ID, await s.source(files[1]!, Buffer.from('abc')), () => {})).toEqual({ ok: true });
    s.sender.close();
    await receiving;
    expect((await readdir(s.saveDir)).sort()).toEqual(['next.bin']);
  });

  it('refuses a data-end for another file', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 3), fileEntry(1, 'y.bin', 3)]);
    const { host, named } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 3 });
    await s.sender.expect('data-ready');
    await s.sender.writeRaw(Buffer.from('abc'));
    s.sender.writeFrame({ type: 'data-end', id: ID, index: 1, sha256: sha(Buffer.from('abc')) });
    expect(await rejection<FerryError>(s.sender.readFrame())).toMatchObject({
      code: 'BAD_FRAME',
      message: 'peer: data-end for another file',
    });
    await receiving;
    expect(named('fileDone')).toEqual([]);
    expect(await readdir(s.saveDir)).not.toContain('x.bin');
  });

  it('throws away a .part followed by garbage instead of data-end', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 3)]);
    const { host, named } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 3 });
    await s.sender.expect('data-ready');
    await s.sender.writeRaw(Buffer.from('abcdefgh')); // five bytes more than offered
    expect(await rejection<FerryError>(s.sender.readFrame())).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    await receiving;
    expect(named('fileFailed')).toEqual([['fileFailed', 0, 'FRAME_TOO_LARGE', expect.any(String)]]);
    expect(named('interrupted')).toEqual([]);
    expect(s.transfer.files[0]!.part).toBeNull();
    expect(await readdir(s.saveDir)).toEqual([]);
  });

  it('keeps the .part and its offset when the sender vanishes mid-file', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 10_000)]);
    const { host, named, written } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 10_000 });
    await s.sender.expect('data-ready');
    await s.sender.writeRaw(randomBytes(3000));
    await waitUntil(() => named('fileBytes').some((c) => c[2] === 3000), { what: '3000 bytes received' });
    s.sender.destroy();
    await receiving;
    expect(named('interrupted')).toEqual([['interrupted', 0, 3000]]);
    expect(named('transferFailed')).toEqual([]);
    expect(named('fileFailed')).toEqual([]);
    expect(written()).toBe(3000);
    expect((await stat(path.join(s.saveDir, 'x.bin.part'))).size).toBe(3000);
    const sidecar = JSON.parse(await readFile(path.join(s.saveDir, 'x.bin.part.json'), 'utf8'));
    expect(sidecar).toEqual({ transferId: ID, index: 0, size: 10_000, mtime: 1_700_000_000_000, offset: 3000 });
    expect(named('detach')).toEqual([['detach', ID]]);
  });

  it('keeps the .part when the sender vanishes before data-end', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 3)]);
    const { host, named } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-open', id: ID, index: 0, size: 3 });
    await s.sender.expect('data-ready');
    await s.sender.writeRaw(Buffer.from('abc'));
    await waitUntil(() => named('fileBytes').some((c) => c[2] === 3), { what: 'all bytes received' });
    s.sender.destroy();
    await receiving;
    expect(named('interrupted')).toEqual([['interrupted', 0, 3]]);
    expect(named('fileFailed')).toEqual([]);
    expect(s.transfer.files[0]!.part).toBe(path.join(s.saveDir, 'x.bin.part'));
    expect((await stat(path.join(s.saveDir, 'x.bin.part'))).size).toBe(3);
  });

  it('ends quietly when the sender closes between files', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 3)]);
    const { host, calls } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.close();
    await receiving;
    expect(calls).toEqual([]);
  });

  it('answers a bad frame between files with an error and no host call', async () => {
    const s = await setup([fileEntry(0, 'x.bin', 3)]);
    const { host, calls } = recordingHost(s.transfer);
    const receiving = receiveFiles(s.receiverChannel, PEER, host);
    s.sender.writeFrame({ type: 'data-ready', id: ID, index: 0, offset: 0 });
    expect(await rejection<FerryError>(s.sender.readFrame())).toMatchObject({
      code: 'BAD_FRAME',
      message: 'peer: expected "data-open", got "data-ready"',
    });
    await receiving;
    expect(calls).toEqual([]);
  });
});

/**
 * sendFile() against a receiver driven by hand over a real TLS data connection on
 * 127.0.0.1, with real files in a temp folder: what goes on the wire, what the
 * sender reports, and how it refuses a receiver or a source that misbehaves.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tlsPair, type TlsPair } from '../../../test/helpers/tls-pair';
import { waitUntil } from '../../../test/helpers/wait';
import { FerryError } from '../ferry-error';
import type { TransferFile } from '../store/transfer-repo';
import { DataChannel } from './data-channel';
import { sendFile, type SendOutcome } from './transfer-sender';
import { rejection } from '../../../test/helpers/rejection';

const ID = '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';
const OTHER = '1b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.map((c) => c()));
  cleanup = [];
});

async function setup(content: Buffer, index = 3) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-sender-'));
  const pair: TlsPair = await tlsPair();
  cleanup.push(
    () => pair.close(),
    () => rm(dir, { recursive: true, force: true }),
  );
  const source = path.join(dir, 'source.bin');
  await writeFile(source, content);
  const info = await stat(source);
  const file: TransferFile = {
    index,
    path: 'source.bin',
    size: content.byteLength,
    mtime: Math.trunc(info.mtimeMs),
    isDirectory: false,
    source,
    dest: null,
    part: null,
    saved: null,
    bytesDone: 0,
    state: 'pending',
    error: null,
  };
  const sender = new DataChannel(pair.client, Buffer.alloc(0));
  const receiver = new DataChannel(pair.server, Buffer.alloc(0));
  const progress: number[] = [];
  const send = () => sendFile(sender, ID, file, (n) => progress.push(n));
  return { dir, file, sender, receiver, progress, send, pair, source };
}

async function readRaw(channel: DataChannel, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of channel.raw(n)) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sendFile', () => {
  it.each([
    ['from the start', 0],
    ['from where the receiver already is', 1000],
    ['nothing at all when the receiver has every byte', 3000],
  ])('sends a file %s, then data-end with the whole SHA-256', async (_label, offset) => {
    const content = randomBytes(3000);
    const { receiver, send, progress } = await setup(content);
    const sending = send();
    expect(await receiver.expect('data-open')).toEqual({ type: 'data-open', id: ID, index: 3, size: 3000 });
    receiver.writeFrame({ type: 'data-ready', id: ID, index: 3, offset });
    expect((await readRaw(receiver, 3000 - offset)).equals(content.subarray(offset))).toBe(true);
    expect(await receiver.expect('data-end')).toEqual({ type: 'data-end', id: ID, index: 3, sha256: sha(content) });
    receiver.writeFrame({ type: 'data-result', id: ID, index: 3, ok: true });
    expect(await sending).toEqual({ ok: true });
    expect(progress[0]).toBe(offset);
    expect(progress.at(-1)).toBe(3000);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('streams a multi-MiB file in order, reporting progress per chunk', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 17);
    const { receiver, send, progress } = await setup(content);
    const sending = send();
    await receiver.expect('data-open');
    receiver.writeFrame({ type: 'data-ready', id: ID, index: 3, offset: 0 });
    expect((await readRaw(receiver, content.byteLength)).equals(content)).toBe(true);
    expect((await receiver.expect('data-end')).sha256).toBe(sha(content));
    receiver.writeFrame({ type: 'data-result', id: ID, index: 3, ok: true });
    expect(await sending).toEqual({ ok: true });
    expect(progress).toEqual([0, 1024 * 1024, 2 * 1024 * 1024, content.byteLength]);
  });

  it.each<[string, Record<string, unknown>, SendOutcome | { code: string; message: string }]>([
    [
      'a refusal with its code',
      { ok: false, code: 'NAME_REJECTED', message: 'bad name' },
      { code: 'NAME_REJECTED', message: 'bad name' },
    ],
    [
      'a refusal without a message',
      { ok: false, code: 'HASH_MISMATCH' },
      { code: 'HASH_MISMATCH', message: 'HASH_MISMATCH' },
    ],
    ['a refusal without a code', { ok: false, message: 'hm' }, { code: 'INTERNAL', message: 'hm' }],
    [
      'a refusal with a code that is not one',
      { ok: false, code: 'no such code', message: 'x' },
      { code: 'INTERNAL', message: 'x' },
    ],
    [
      'a refusal with a code with a prefix',
      { ok: false, code: 'x DISK_FULL', message: 'x' },
      { code: 'INTERNAL', message: 'x' },
    ],
    [
      'a refusal with a code with a suffix',
      { ok: false, code: 'DISK_FULL x', message: 'x' },
      { code: 'INTERNAL', message: 'x' },
    ],
    ['nothing but a refusal', { ok: false }, { code: 'INTERNAL', message: 'INTERNAL' }],
  ])('passes on %s after the data', async (_label, result, expected) => {
    const { receiver, send } = await setup(Buffer.from('hello'));
    const sending = send();
    await receiver.expect('data-open');
    receiver.writeFrame({ type: 'data-ready', id: ID, index: 3, offset: 0 });
    await readRaw(receiver, 5);
    await receiver.expect('data-end');
    receiver.writeFrame({ type: 'data-result', id: ID, index: 3, ...result });
    const outcome = await sending;
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: FerryError }).error;
    expect(error).toBeInstanceOf(FerryError);
    expect({ code: error.code, message: error.message }).toEqual(expected);
  });

  it('takes the verdict at once when the receiver already has the file', async () => {
    const { receiver, send, progress } = await setup(Buffer.from('hello'));
    const sending = send();
    await receiver.expect('data-open');
    receiver.writeFrame({ type: 'data-result', id: ID, index: 3, ok: true });
    expect(await sending).toEqual({ ok: true });
    expect(progress).toEqual([]);
    const refused = await setup(Buffer.from('hello'));
    const again = refused.send();
    await refused.receiver.expect('data-open');
    refused.receiver.writeFrame({
      type: 'data-result',
      id: ID,
      index: 3,
      ok: false,
      code: 'NAME_REJECTED',
      message: 'no',
    });
    expect(await again).toMatchObject({ ok: false, error: { code: 'NAME_REJECTED', message: 'no' } });
  });

  it.each([
    ['data-ready for another transfer', { type: 'data-ready', id: OTHER, index: 3, offset: 0 }, 'data-ready'],
    ['data-ready for another file', { type: 'data-ready', id: ID, index: 4, offset: 0 }, 'data-ready'],
    ['a verdict for another transfer', { type: 'data-result', id: OTHER, index: 3, ok: true }, 'data-result'],
    ['a verdict for another file', { type: 'data-result', id: ID, index: 4, ok: true }, 'data-result'],
    ['a data-open', { type: 'data-open', id: ID, index: 3, size: 5 }, 'data-open'],
  ])('refuses %s instead of data-ready', async (_label, answer, type) => {
    const { receiver, send } = await setup(Buffer.from('hello'));
    const sending = send();
    await receiver.expect('data-open');
    receiver.writeFrame(answer);
    expect(await rejection<FerryError>(sending)).toMatchObject({
      code: 'BAD_FRAME',
      message: `expected data-ready for file 3, got "${type}"`,
    });
  });

  it('refuses to resume past the end of the file', async () => {
    const { receiver, send } = await setup(Buffer.from('hello'));
    const sending = send();
    await receiver.expect('data-open');
    receiver.writeFrame({ type: 'data-ready', id: ID, index: 3, offset: 6 });
    expect(await rejection<FerryError>(sending)).toMatchObject({
      code: 'BAD_FRAME',
      message: 'the receiver asked to resume at 6, past the end (5)',
    });
  });

  it.each([
    ['another transfer', { id: OTHER, index: 3 }],
    ['another file', { id: ID, index: 4 }],
  ])('refuses a final verdict for %s', async (_label, which) => {
    const { receiver, send } = await setup(Buffer.from('hello'));
    const sending = send();
    await receiver.expect('data-open');
    receiver.writeFrame({ type: 'data-ready', id: ID, index: 3, offset: 0 });
    await readRaw(receiver, 5);
    await receiver.expect('data-end');
    receiver.writeFrame({ type: 'data-result', ok: true, ...which });
    expect(await rejection<FerryError>(sending)).toMatchObject({
      code: 'BAD_FRAME',
      message: 'data-result for another file',
    });
  });

  it('refuses a source that is gone, resized, touched or no longer a file, before sending anything', async () => {
    const cases: [string, (s: Awaited<ReturnType<typeof setup>>) => Promise<void>, string][] = [
      ['SOURCE_MISSING', (s) => rm(s.source), 'no longer exists'],
      ['SOURCE_CHANGED', (s) => writeFile(s.source, 'hello!'), 'changed after it was offered'],
      ['SOURCE_CHANGED', (s) => utimes(s.source, 1, 1), 'changed after it was offered'],
      [
        'SOURCE_CHANGED',
        async (s) => {
          s.file.source = s.dir;
          const info = await stat(s.dir);
          s.file.size = info.size;
          s.file.mtime = Math.trunc(info.mtimeMs);
        },
        'changed after it was offered',
      ],
    ];
    for (const [code, change, text] of cases) {
      const s = await setup(Buffer.from('hello'));
      await change(s);
      const err = await rejection<FerryError>(s.send());
      expect(err).toBeInstanceOf(FerryError);
      expect(err.code).toBe(code);
      expect(err.message).toContain(s.file.source!);
      expect(err.message).toContain(text);
      // Nothing was sent: the first thing the receiver reads is what the test sends next.
      s.sender.writeFrame({ type: 'data-open', id: OTHER, index: 0, size: 0 });
      expect(await s.receiver.readFrame()).toMatchObject({ id: OTHER });
    }
  });

  it('cuts the connection when the source shrinks while it is sent', async () => {
    const content = randomBytes(4000);
    const { receiver, send, source, progress } = await setup(content);
    const sending = send();
    await receiver.expect('data-open');
    await truncate(source, 1000);
    receiver.writeFrame({ type: 'data-ready', id: ID, index: 3, offset: 0 });
    const err = await rejection<FerryError>(sending);
    expect(err).toMatchObject({ code: 'SOURCE_CHANGED' });
    expect(err.message).toBe(`${source} shrank while it was being sent; send it again`);
    expect(progress.at(-1)).toBe(1000);
    // The receiver gets the bytes there were, then the connection ends without a data-end.
    expect(await rejection<FerryError>(readRaw(receiver, 4000))).toMatchObject({ code: 'PEER_GONE' });
  });

  it('cuts the connection when the source is touched while it is sent', async () => {
    const content = randomBytes(4000);
    const { receiver, send, source } = await setup(content);
    const sending = send();
    await receiver.expect('data-open');
    await utimes(source, 1, 1);
    receiver.writeFrame({ type: 'data-ready', id: ID, index: 3, offset: 0 });
    const err = await rejection<FerryError>(sending);
    expect(err).toMatchObject({ code: 'SOURCE_CHANGED' });
    expect(err.message).toContain('changed after it was offered');
    expect((await readRaw(receiver, 4000)).equals(content)).toBe(true);
    expect(await rejection<FerryError>(receiver.readFrame())).toMatchObject({ code: 'PEER_GONE' });
  });

  it('reports a connection lost mid-file as the connection error, not a source error', async () => {
    const content = randomBytes(16 * 1024 * 1024);
    const { receiver, send, pair } = await setup(content);
    const sending = send();
    await receiver.expect('data-open');
    receiver.writeFrame({ type: 'data-ready', id: ID, index: 3, offset: 0 });
    // Read nothing: once the receiving socket has paused, the sender is stuck mid-file.
    await waitUntil(() => pair.server.isPaused(), { what: 'receiver paused' });
    pair.server.destroy();
    const err = await rejection<FerryError>(sending);
    expect(err).toBeInstanceOf(FerryError);
    expect(err.code).toBe('PEER_GONE');
  });
});

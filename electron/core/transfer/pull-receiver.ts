/**
 * The receiving end when the receiver fetches the bytes itself (a PullSource: IP
 * Messenger's TCP requests). Each file of an accepted offer goes into a `.part`
 * inside the save folder and is moved to a free final name once exactly the
 * offered number of bytes arrived (the peer proves nothing else: no hash); a
 * folder's contents are created item by item under the folder's safe name, each
 * name made safe on its own. More or fewer bytes than offered fail the file
 * (SIZE_MISMATCH) and leave nothing behind; a malformed folder stream fails the
 * folder (BAD_FRAME) and stops reading it.
 */
import { truncate } from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../ferry-error';
import type { Transfer, TransferFile } from '../store/transfer-repo';
import {
  diskError,
  discardPart,
  ensureDirInside,
  finalizePart,
  openPart,
  streamIntoPart,
  writeSidecar,
  type PartWriteError,
} from './part-file';
import type { PullSource } from './pull-source';
import { MAX_DEPTH, sanitizeSegment } from './safe-filename';
import { FILE_LEVEL_CODES, type ReceiverHost } from './transfer-receiver';

/** What fails one entry of a pulled offer but lets the others continue. */
const ENTRY_LEVEL_CODES = new Set([...FILE_LEVEL_CODES, 'BAD_FRAME']);

/** Fetches every entry of `t` that has no verdict yet; ends early when `signal` aborts. */
export async function pullFiles(
  t: Transfer,
  source: PullSource,
  host: ReceiverHost,
  signal: AbortSignal,
): Promise<void> {
  for (const f of t.files) {
    if (signal.aborted) return;
    if ((f.state !== 'pending' && f.state !== 'active') || !f.dest) continue;
    try {
      if (f.isDirectory) await pullFolder(t, f, source, host, signal);
      else await pullFile(t, f, source, host, signal);
    } catch (err) {
      if (signal.aborted) return; // stopped here: whoever aborted decides the state
      const e = FerryError.from(err);
      if (ENTRY_LEVEL_CODES.has(e.code)) {
        host.fileFailed(t, f, e);
        continue;
      }
      host.transferFailed(t, e);
      return;
    }
  }
}

async function pullFile(
  t: Transfer,
  f: TransferFile,
  source: PullSource,
  host: ReceiverHost,
  signal: AbortSignal,
): Promise<void> {
  const segments = f.dest!.split('/');
  const dir = await ensureDirInside(t.saveDir!, segments.slice(0, -1));
  const sidecar = { transferId: t.id, index: f.index, size: f.size, mtime: f.mtime };
  const opened = await openPart(dir, segments.at(-1)!, sidecar, f.part);
  const { partPath } = opened;
  let { offset } = opened;
  if (offset > 0 && !source.honoursOffset) {
    // The sender always starts at byte 0 (iptux): start the .part again rather than trust an offset it ignores.
    await truncate(partPath, 0).catch((err) => Promise.reject(diskError(err, partPath)));
    offset = 0;
  }
  f.part = partPath;
  host.fileStarted(t, f);
  host.fileBytes(t, f, offset);
  const bytes = await source.file(t, f.index, offset, signal);
  await receiveExactly(
    partPath,
    offset,
    f.size,
    bytes,
    (n) => host.fileBytes(t, f, n),
    host,
    () => writeSidecar(partPath, { ...sidecar, offset: 0 }),
  ).catch((err: FerryError) => {
    if (err.code === 'SIZE_MISMATCH') f.part = null; // discarded
    throw err;
  });
  const saved = await finalizePart(partPath);
  host.fileDone(t, f, saved);
}

async function pullFolder(
  t: Transfer,
  f: TransferFile,
  source: PullSource,
  host: ReceiverHost,
  signal: AbortSignal,
): Promise<void> {
  const rootSegments = f.dest!.split('/');
  const root = await ensureDirInside(t.saveDir!, rootSegments);
  host.fileStarted(t, f);
  const items = await source.folder(t, f.index, signal);
  const inside: string[] = [];
  let received = 0;
  for await (const item of items) {
    if (item.kind === 'up') {
      if (inside.length === 0) throw new FerryError('BAD_FRAME', `the folder stream of ${f.path} left its folder`);
      inside.pop();
      continue;
    }
    const name = safeName(item.name, f.path);
    if (item.kind === 'dir') {
      if (rootSegments.length + inside.length + 1 > MAX_DEPTH)
        throw new FerryError('BAD_FRAME', `${f.path} is nested deeper than ${MAX_DEPTH} folders; refused`);
      inside.push(name);
      await ensureDirInside(t.saveDir!, [...rootSegments, ...inside]);
      continue;
    }
    const dir = inside.length ? await ensureDirInside(t.saveDir!, [...rootSegments, ...inside]) : root;
    const { partPath } = await openPart(
      dir,
      name,
      { transferId: t.id, index: f.index, size: item.size, mtime: 0 },
      null,
    );
    const base = received;
    received += await receiveExactly(
      partPath,
      0,
      item.size,
      item.bytes,
      (n) => host.fileBytes(t, f, base + n),
      host,
      null,
    );
    await finalizePart(partPath);
  }
  if (inside.length > 0) throw new FerryError('BAD_FRAME', `the folder stream of ${f.path} ended inside a folder`);
  if (received > f.size) {
    // The offer gave the folder's size as a hint (often 0): what arrived is what it held.
    t.totalBytes += received - f.size;
    f.size = received;
  }
  host.fileDone(t, f, root);
}

/**
 * Writes `bytes` into the .part from `offset` and proves exactly `size` bytes came:
 * more or fewer discards the .part (SIZE_MISMATCH). Any other failure keeps it when
 * `keep` is given (it records where it stopped) and discards it otherwise.
 */
async function receiveExactly(
  partPath: string,
  offset: number,
  size: number,
  bytes: AsyncIterable<Buffer>,
  progress: (bytesDone: number) => void,
  host: ReceiverHost,
  keep: (() => Promise<void>) | null,
): Promise<number> {
  let received = offset;
  try {
    await streamIntoPart(
      partPath,
      offset,
      (async function* () {
        for await (const chunk of bytes) {
          if (received + chunk.byteLength > size) {
            throw new FerryError(
              'SIZE_MISMATCH',
              `${path.basename(partPath, '.part')}: the sender sent more than the ${size} bytes it offered; not saved`,
            );
          }
          received += chunk.byteLength;
          progress(received);
          yield chunk;
        }
      })(),
    );
  } catch (err) {
    const { onDisk, reason } = err as PartWriteError;
    host.written?.(onDisk - offset);
    const e =
      reason instanceof FerryError
        ? reason
        : (reason as NodeJS.ErrnoException).code
          ? diskError(reason, partPath)
          : FerryError.from(reason);
    if (e.code === 'SIZE_MISMATCH' || !keep) await discardPart(partPath);
    else await keep().catch(() => {});
    throw e;
  }
  host.written?.(received - offset);
  if (received !== size) {
    await discardPart(partPath);
    throw new FerryError(
      'SIZE_MISMATCH',
      `${path.basename(partPath, '.part')}: the sender sent ${received} of the ${size} bytes it offered; not saved`,
    );
  }
  return received - offset;
}

/** A name from a folder stream: one segment (never a path), made safe or refused. */
function safeName(raw: string, folder: string): string {
  if (/[/\\]/.test(raw)) {
    throw new FerryError(
      'NAME_REJECTED',
      `the folder stream of ${folder} holds the path ${JSON.stringify(raw.slice(0, 80))}; refused`,
    );
  }
  return sanitizeSegment(raw);
}

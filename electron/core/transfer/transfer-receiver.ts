/**
 * The receiving end of a data connection. Each file: check the data-open
 * against the accepted offer, open (or reuse) its .part inside the save folder,
 * re-hash what is already there, answer data-ready with that offset, write
 * exactly the remaining bytes while hashing, and on data-end verify and move
 * the file to its final name. Nothing is written for data that was not offered
 * and accepted.
 */
import path from 'node:path';
import { FerryError } from '../ferry-error';
import type { Transfer, TransferFile } from '../store/transfer-repo';
import type { DataChannel } from './data-channel';
import {
  diskError,
  discardPart,
  ensureDirInside,
  finalizePart,
  hashPrefix,
  openPart,
  streamIntoPart,
  writeSidecar,
  type PartWriteError,
} from './part-file';

export interface ReceiverHost {
  /** The transfer if this peer may send data for it right now. */
  receivable(id: string, peerId: string): Transfer | undefined;
  /** Claims the transfer for this connection; resolves once older connections for it have fully stopped writing. */
  attach(t: Transfer, channel: DataChannel): Promise<void>;
  detach(t: Transfer, channel: DataChannel): void;
  fileStarted(t: Transfer, f: TransferFile): void;
  fileBytes(t: Transfer, f: TransferFile, bytesDone: number): void;
  fileDone(t: Transfer, f: TransferFile, savedPath: string): void;
  fileFailed(t: Transfer, f: TransferFile, error: FerryError): void;
  /** Something that stops the whole transfer (disk full, no permission). */
  transferFailed(t: Transfer, error: FerryError): void;
  /** The connection dropped mid-file; the .part stays for resume. */
  interrupted(t: Transfer, f: TransferFile, bytesOnDisk: number): void;
  /** Test hook: counts every byte written to a .part. */
  written?(bytes: number): void;
}

/** Codes that fail one file but let the others continue. */
export const FILE_LEVEL_CODES = new Set(['NAME_REJECTED', 'HASH_MISMATCH', 'SIZE_MISMATCH']);

export async function receiveFiles(channel: DataChannel, peerId: string, host: ReceiverHost): Promise<void> {
  let current: { t: Transfer; f: TransferFile; onDisk: number } | null = null;
  let attached: Transfer | null = null;
  try {
    for (;;) {
      let open;
      try {
        open = await channel.expect('data-open');
      } catch (err) {
        // A clean close between files is the normal end of a data connection.
        if (err instanceof FerryError && err.code === 'PEER_GONE') return;
        throw err;
      }
      const t = host.receivable(open.id, peerId);
      const f = t?.files[open.index];
      if (!t || !f || f.isDirectory || f.size !== open.size || !f.dest) {
        throw new FerryError(
          'BAD_FRAME',
          'data for a file that was not offered and accepted (or with another size); refused',
        );
      }
      if (attached !== t) {
        if (attached) host.detach(attached, channel);
        attached = t;
        await host.attach(t, channel);
        if (!host.receivable(t.id, peerId)) throw new FerryError('CANCELLED', 'the transfer was stopped');
      }
      if (f.state === 'done' || f.state === 'failed') {
        // The sender missed our verdict (connection lost right after it): repeat it.
        channel.writeFrame({
          type: 'data-result',
          id: t.id,
          index: f.index,
          ok: f.state === 'done',
          ...(f.error ?? {}),
        });
        continue;
      }
      const segments = f.dest.split('/');
      let partPath: string;
      let offset: number;
      try {
        const dir = await ensureDirInside(t.saveDir!, segments.slice(0, -1));
        ({ partPath, offset } = await openPart(
          dir,
          segments.at(-1)!,
          { transferId: t.id, index: f.index, size: f.size, mtime: f.mtime },
          f.part,
        ));
      } catch (err) {
        const e = diskError(err, path.join(t.saveDir!, f.dest));
        if (!FILE_LEVEL_CODES.has(e.code)) throw e;
        host.fileFailed(t, f, e);
        channel.writeFrame({
          type: 'data-result',
          id: t.id,
          index: f.index,
          ok: false,
          code: e.code,
          message: e.message.slice(0, 900),
        });
        continue;
      }
      f.part = partPath;
      host.fileStarted(t, f);
      const hash = await hashPrefix(partPath, offset);
      current = { t, f, onDisk: offset };
      host.fileBytes(t, f, offset);
      channel.writeFrame({ type: 'data-ready', id: t.id, index: f.index, offset });
      if (offset < f.size) {
        const cur = current;
        let received = offset;
        try {
          await streamIntoPart(
            partPath,
            offset,
            (async function* () {
              for await (const chunk of channel.raw(f.size - offset)) {
                hash.update(chunk);
                received += chunk.byteLength;
                host.fileBytes(t, f, received);
                yield chunk;
              }
            })(),
          );
        } catch (err) {
          const { onDisk, reason } = err as PartWriteError;
          cur.onDisk = onDisk;
          host.written?.(onDisk - offset);
          throw (reason as NodeJS.ErrnoException).code ? diskError(reason, partPath) : reason;
        }
        cur.onDisk = f.size;
        host.written?.(f.size - offset);
      }
      let end;
      try {
        end = await channel.expect('data-end');
      } catch (err) {
        if (err instanceof FerryError && err.code !== 'PEER_GONE') {
          // Bytes past the offered size or garbage instead of data-end: this .part can't be trusted.
          await discardPart(partPath);
          f.part = null;
          current = null;
          host.fileFailed(t, f, err);
        }
        throw err;
      }
      if (end.id !== t.id || end.index !== f.index) throw new FerryError('BAD_FRAME', 'data-end for another file');
      current = null;
      if (hash.digest('hex') !== end.sha256) {
        await discardPart(partPath);
        f.part = null;
        const e = new FerryError(
          'HASH_MISMATCH',
          `${f.path} arrived damaged (SHA-256 differs); it was not saved, send it again`,
        );
        host.fileFailed(t, f, e);
        channel.writeFrame({
          type: 'data-result',
          id: t.id,
          index: f.index,
          ok: false,
          code: e.code,
          message: e.message,
        });
        continue;
      }
      const saved = await finalizePart(partPath);
      host.fileDone(t, f, saved);
      channel.writeFrame({ type: 'data-result', id: t.id, index: f.index, ok: true });
    }
  } catch (err) {
    const e = FerryError.from(err);
    if (current) {
      const { t, f, onDisk } = current;
      if (e.code === 'DISK_FULL' || e.code === 'PERMISSION_DENIED') host.transferFailed(t, e);
      else if (f.state !== 'failed') host.interrupted(t, f, onDisk);
      if (f.part)
        await writeSidecar(f.part, {
          transferId: t.id,
          index: f.index,
          size: f.size,
          mtime: f.mtime,
          offset: onDisk,
        }).catch(() => {});
    } else if (attached && (e.code === 'DISK_FULL' || e.code === 'PERMISSION_DENIED' || e.code === 'INTERNAL')) {
      // Not something a retry fixes: fail the transfer rather than leave it "active" for ever.
      host.transferFailed(attached, e);
    }
    if (e.code === 'PEER_GONE') channel.destroy();
    else channel.fail(e);
  } finally {
    if (attached) host.detach(attached, channel);
  }
}

/**
 * Sends one file over a data connection: data-open, wait for the receiver's
 * offset, re-hash the prefix it already has, stream the rest raw with
 * backpressure while hashing, then data-end with the whole file's SHA-256.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { errorCodeFrom } from '../../../shared/errors';
import { FerryError } from '../ferry-error';
import type { TransferFile } from '../store/transfer-repo';
import type { DataChannel } from './data-channel';
import { sourceError } from './offer-builder';
import { hashPrefix } from './part-file';

export type SendOutcome = { ok: true } | { ok: false; error: FerryError };

/** Proves the file is still the one offered (same size and modification time). */
async function checkSource(file: TransferFile): Promise<void> {
  const info = await stat(file.source!).catch((err: NodeJS.ErrnoException) => {
    throw sourceError(err, file.source!);
  });
  if (!info.isFile() || info.size !== file.size || Math.trunc(info.mtimeMs) !== file.mtime) {
    throw new FerryError(
      'SOURCE_CHANGED',
      `${file.source} changed after it was offered (size or modification time); send it again`,
    );
  }
}

/**
 * Resolves with the receiver's verdict for this file. Throws for anything that
 * ends the connection (network, protocol, source problems); the caller decides
 * whether to retry or fail the transfer.
 */
export async function sendFile(
  channel: DataChannel,
  transferId: string,
  file: TransferFile,
  onBytes: (fileBytesDone: number) => void,
): Promise<SendOutcome> {
  await checkSource(file);
  channel.writeFrame({ type: 'data-open', id: transferId, index: file.index, size: file.size });
  const answer = await channel.readFrame();
  if (answer.type === 'data-result' && answer.id === transferId && answer.index === file.index) {
    return verdict(answer);
  }
  if (answer.type !== 'data-ready' || answer.id !== transferId || answer.index !== file.index) {
    throw new FerryError('BAD_FRAME', `expected data-ready for file ${file.index}, got "${answer.type}"`);
  }
  const { offset } = answer;
  if (offset > file.size)
    throw new FerryError('BAD_FRAME', `the receiver asked to resume at ${offset}, past the end (${file.size})`);
  const hash = await hashPrefix(file.source!, offset);
  let sent = offset;
  onBytes(sent);
  if (offset < file.size) {
    const stream = createReadStream(file.source!, { start: offset, end: file.size - 1, highWaterMark: 1024 * 1024 });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        hash.update(chunk);
        await channel.writeRaw(chunk);
        sent += chunk.byteLength;
        onBytes(sent);
      }
    } catch (err) {
      stream.destroy();
      const e = err as NodeJS.ErrnoException;
      throw err instanceof FerryError ? err : sourceError(e, file.source!);
    }
  }
  if (sent !== file.size) {
    channel.destroy(); // the receiver still waits for bytes we cannot send
    throw new FerryError('SOURCE_CHANGED', `${file.source} shrank while it was being sent; send it again`);
  }
  try {
    await checkSource(file);
  } catch (err) {
    channel.destroy(); // don't let the receiver verify a file that changed under us
    throw err;
  }
  channel.writeFrame({ type: 'data-end', id: transferId, index: file.index, sha256: hash.digest('hex') });
  const result = await channel.expect('data-result');
  if (result.id !== transferId || result.index !== file.index)
    throw new FerryError('BAD_FRAME', 'data-result for another file');
  return verdict(result);
}

function verdict(result: { ok: boolean; code?: string; message?: string }): SendOutcome {
  if (result.ok) return { ok: true };
  const code = errorCodeFrom(result.code);
  return { ok: false, error: new FerryError(code, result.message ?? code) };
}

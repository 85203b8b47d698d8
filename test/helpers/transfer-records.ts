/** Transfer records as the store holds them, for unit tests (defaults overridable per field). */
import type { TransferFile } from '../../electron/core/store/transfer-repo';

/** The n-th file of a transfer: `f<n>.txt`, 10·(n+1) bytes, pending. */
export function testFile(index: number, over: Partial<TransferFile> = {}): TransferFile {
  return {
    index,
    path: `f${index}.txt`,
    size: 10 * (index + 1),
    mtime: 1000 + index,
    isDirectory: false,
    source: null,
    dest: `f${index}.txt`,
    part: null,
    saved: null,
    bytesDone: 0,
    state: 'pending',
    error: null,
    image: null,
    preview: null,
    ...over,
  };
}

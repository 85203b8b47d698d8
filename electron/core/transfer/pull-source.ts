/**
 * Where the bytes of an accepted offer come from when the receiver fetches them
 * itself (IP Messenger's TCP GETFILEDATA / GETDIRFILES), instead of the sender
 * pushing them over Ferry's own data connections. Transport-neutral: the pull
 * receiver (pull-receiver.ts) writes whatever a source yields with the same
 * .part, safe-name and never-overwrite rules as Ferry's own transfers.
 */
import type { Transfer } from '../store/transfer-repo';

/** One item of a folder's contents, in stream order. */
export type FolderItem =
  /** A folder inside the current one: what follows is inside it until the matching `up`. */
  | { kind: 'dir'; name: string }
  /** A file in the current folder: exactly `size` bytes; drain `bytes` before asking for the next item. */
  | { kind: 'file'; name: string; size: number; bytes: AsyncIterable<Buffer> }
  /** Back to the parent folder. */
  | { kind: 'up' };

export interface PullSource {
  /** Whether the sender honours an offset (if not, a file restarts from byte 0). */
  readonly honoursOffset: boolean;
  /**
   * The bytes of regular file `index` of an accepted incoming transfer, from `offset`,
   * until the sender closes. Aborting `signal` ends the stream.
   */
  file(t: Transfer, index: number, offset: number, signal: AbortSignal): Promise<AsyncIterable<Buffer>>;
  /**
   * The contents of folder entry `index`: the items inside it (its own name is the
   * offer's), ending when the sender leaves it. Throws on anything malformed.
   */
  folder(t: Transfer, index: number, signal: AbortSignal): Promise<AsyncIterable<FolderItem>>;
}

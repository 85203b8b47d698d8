import type { ImageInfoDto, TransferFileState, TransferState } from '../../../shared/dto';
import { directConversationId } from '../../../shared/conversation-id';
import { ConversationRepo } from './conversation-repo';
import type { FerryDatabase } from './database';

export interface TransferError {
  code: string;
  message: string;
}

export interface TransferFile {
  index: number;
  /** The path as offered (outgoing) or as sanitised for saving (incoming), '/'-separated. */
  path: string;
  size: number;
  mtime: number;
  isDirectory: boolean;
  /** Outgoing: the local file. */
  source: string | null;
  /** Incoming: safe relative destination under the save folder ('/'-separated). */
  dest: string | null;
  /** Incoming: the .part being written. */
  part: string | null;
  /** Incoming: where the verified file was saved. */
  saved: string | null;
  bytesDone: number;
  state: TransferFileState;
  error: TransferError | null;
  /** A picture shown inline (outgoing: probed when offered; incoming: once saved). */
  image?: ImageInfoDto | null;
  /** Incoming, still offered: the size of the small picture the sender sent of it. */
  preview?: { width: number; height: number } | null;
}

export interface Transfer {
  id: string;
  peerId: string;
  direction: 'in' | 'out';
  state: TransferState;
  createdAt: number;
  updatedAt: number;
  totalBytes: number;
  saveDir: string | null;
  error: TransferError | null;
  files: TransferFile[];
  /** Set when the file rows were dropped (an offer that ended unanswered): how many there were. */
  fileCount?: number;
}

interface TransferRow {
  id: string;
  peer_id: string;
  direction: 'in' | 'out';
  state: TransferState;
  created_at: number;
  updated_at: number;
  total_bytes: number;
  file_count: number;
  save_dir: string | null;
  error_code: string | null;
  error_message: string | null;
}

interface FileRow {
  idx: number;
  path: string;
  size: number;
  mtime: number;
  is_dir: number;
  source_path: string | null;
  dest_path: string | null;
  part_path: string | null;
  saved_path: string | null;
  bytes_done: number;
  state: TransferFileState;
  error_code: string | null;
  error_message: string | null;
  image: string | null;
}

const IMAGE_MIMES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** The `image` column's JSON object, or null (empty, damaged, not an object). */
function columnObject(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const sideUpTo =
  (max: number) =>
  (n: unknown): n is number =>
    Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= max;

/** The `image` column back as an ImageInfoDto; anything else (damaged, from elsewhere) is no picture. */
export function imageFromColumn(text: string | null): ImageInfoDto | null {
  const v = columnObject(text);
  const side = sideUpTo(16_384);
  return v && typeof v.mime === 'string' && IMAGE_MIMES.has(v.mime) && side(v.width) && side(v.height)
    ? { mime: v.mime as ImageInfoDto['mime'], width: v.width, height: v.height }
    : null;
}

/** The `image` column of a file offered with a preview only: `{"preview":true,"width":…,"height":…}`. */
export function previewFromColumn(text: string | null): { width: number; height: number } | null {
  const v = columnObject(text);
  const side = sideUpTo(480);
  return v?.preview === true && side(v.width) && side(v.height) ? { width: v.width, height: v.height } : null;
}

const imageColumn = (f: Pick<TransferFile, 'image' | 'preview'>): string | null =>
  f.image
    ? JSON.stringify({ mime: f.image.mime, width: f.image.width, height: f.image.height })
    : f.preview
      ? JSON.stringify({ preview: true, width: f.preview.width, height: f.preview.height })
      : null;

const err = (code: string | null, message: string | null): TransferError | null =>
  code ? { code, message: message ?? '' } : null;

/** Transfers and their files. The engine keeps live copies in memory and writes through on every state change. */
export class TransferRepo {
  private readonly conversations: ConversationRepo;

  constructor(private readonly db: FerryDatabase) {
    this.conversations = new ConversationRepo(db);
  }

  /** Stores a new transfer in the direct conversation with its peer. */
  insert(t: Transfer): void {
    const conversationId = directConversationId(t.peerId);
    this.db.transaction(() => {
      this.conversations.ensure(conversationId, t.createdAt);
      this.db.run(
        `INSERT INTO transfers (id, conversation_id, peer_id, direction, state, created_at, updated_at, total_bytes, file_count, save_dir, error_code, error_message)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          t.id,
          conversationId,
          t.peerId,
          t.direction,
          t.state,
          t.createdAt,
          t.updatedAt,
          t.totalBytes,
          t.files.length,
          t.saveDir,
          t.error?.code ?? null,
          t.error?.message ?? null,
        ],
      );
      for (const f of t.files) {
        this.db.run(
          `INSERT INTO transfer_files (transfer_id, idx, path, size, mtime, is_dir, source_path, dest_path, part_path, saved_path, bytes_done, state, error_code, error_message, image)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            t.id,
            f.index,
            f.path,
            f.size,
            f.mtime,
            f.isDirectory ? 1 : 0,
            f.source,
            f.dest,
            f.part,
            f.saved,
            f.bytesDone,
            f.state,
            f.error?.code ?? null,
            f.error?.message ?? null,
            imageColumn(f),
          ],
        );
      }
    });
  }

  exists(id: string): boolean {
    return this.db.get('SELECT 1 AS x FROM transfers WHERE id = ?', [id]) !== undefined;
  }

  saveTransfer(t: Transfer): void {
    this.db.run(
      'UPDATE transfers SET state = ?, updated_at = ?, save_dir = ?, error_code = ?, error_message = ? WHERE id = ?',
      [t.state, t.updatedAt, t.saveDir, t.error?.code ?? null, t.error?.message ?? null, t.id],
    );
  }

  saveFile(id: string, f: TransferFile): void {
    this.db.run(
      `UPDATE transfer_files SET dest_path = ?, part_path = ?, saved_path = ?, bytes_done = ?, state = ?, error_code = ?, error_message = ?, image = ?
       WHERE transfer_id = ? AND idx = ?`,
      [
        f.dest,
        f.part,
        f.saved,
        f.bytesDone,
        f.state,
        f.error?.code ?? null,
        f.error?.message ?? null,
        imageColumn(f),
        id,
        f.index,
      ],
    );
  }

  /** Saves the transfer and all its files in one transaction. */
  saveAll(t: Transfer): void {
    this.db.transaction(() => {
      this.saveTransfer(t);
      for (const f of t.files) this.saveFile(t.id, f);
    });
  }

  get(id: string): Transfer | undefined {
    const row = this.db.get<TransferRow>('SELECT * FROM transfers WHERE id = ?', [id]);
    if (!row) return undefined;
    const files = this.db.all<FileRow>('SELECT * FROM transfer_files WHERE transfer_id = ? ORDER BY idx', [id]);
    return {
      id: row.id,
      peerId: row.peer_id,
      direction: row.direction,
      state: row.state,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      totalBytes: Number(row.total_bytes),
      saveDir: row.save_dir,
      error: err(row.error_code, row.error_message),
      fileCount: Number(row.file_count),
      files: files.map((f) => ({
        index: f.idx,
        path: f.path,
        size: Number(f.size),
        mtime: Number(f.mtime),
        isDirectory: f.is_dir === 1,
        source: f.source_path,
        dest: f.dest_path,
        part: f.part_path,
        saved: f.saved_path,
        bytesDone: Number(f.bytes_done),
        state: f.state,
        error: err(f.error_code, f.error_message),
        image: imageFromColumn(f.image),
        preview: previewFromColumn(f.image),
      })),
    };
  }

  /**
   * Ids newest first, optionally for one peer, created before `before`. Unless
   * `includeEnded`, incoming offers that expired or were declined are left out.
   */
  ids(peerId?: string, limit = 500, options: { before?: number; includeEnded?: boolean } = {}): string[] {
    const where = ['created_at < ?'];
    const values: (string | number)[] = [options.before ?? Number.MAX_SAFE_INTEGER];
    if (peerId) {
      where.push('peer_id = ?');
      values.push(peerId);
    }
    if (!options.includeEnded) where.push("NOT (direction = 'in' AND state IN ('expired', 'declined'))");
    return this.db
      .all<{ id: string }>(
        `SELECT id FROM transfers WHERE ${where.join(' AND ')} ORDER BY created_at DESC, rowid DESC LIMIT ?`,
        [...values, limit],
      )
      .map((r) => r.id);
  }

  /**
   * Files and folders whose name (the last segment of their path) contains `text`,
   * case-insensitively for ASCII, newest transfer first.
   */
  searchNames(text: string, limit = 50): { transferId: string; path: string; isDir: boolean }[] {
    // SQLite strings end at a NUL; controls never help a search.
    // eslint-disable-next-line no-control-regex
    const q = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
    if (!q) return [];
    const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const wanted = q.toLowerCase();
    // LIKE narrows it down (the text anywhere in the path); the name itself is checked here.
    return this.db
      .all<{ transfer_id: string; path: string; is_dir: number }>(
        `SELECT f.transfer_id, f.path, f.is_dir FROM transfer_files f JOIN transfers t ON t.id = f.transfer_id
         WHERE f.path LIKE ? ESCAPE '\\' ORDER BY t.created_at DESC, f.idx LIMIT ?`,
        [pattern, limit * 20],
      )
      .filter((r) => (r.path.split('/').at(-1) ?? '').toLowerCase().includes(wanted))
      .slice(0, limit)
      .map((r) => ({ transferId: r.transfer_id, path: r.path, isDir: r.is_dir === 1 }));
  }

  /** An offer that ended without a byte written keeps its summary row, not its (possibly huge) file list. */
  dropFiles(id: string): void {
    this.db.run('DELETE FROM transfer_files WHERE transfer_id = ?', [id]);
  }

  /** Whether `file` is where an incoming transfer saved something. */
  isSavedPath(file: string): boolean {
    return (
      this.db.get(
        "SELECT 1 AS x FROM transfer_files JOIN transfers ON transfers.id = transfer_files.transfer_id WHERE transfers.direction = 'in' AND transfer_files.saved_path = ? LIMIT 1",
        [file],
      ) !== undefined
    );
  }

  /** Transfers that were still moving (or waiting) when the engine last stopped. */
  unfinishedIds(): string[] {
    return this.db
      .all<{ id: string }>("SELECT id FROM transfers WHERE state IN ('offered', 'active', 'paused')")
      .map((r) => r.id);
  }
}

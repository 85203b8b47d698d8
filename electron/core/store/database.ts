/**
 * The embedded SQLite database (node-sqlite3-wasm: one WebAssembly build that
 * loads the same in Node and in Electron's main process, no native rebuild).
 * Schema changes are append-only migrations keyed by PRAGMA user_version.
 */
import sqlite from 'node-sqlite3-wasm';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { FerryError } from '../ferry-error';

const { Database } = sqlite;

type Migration = string;

/** Append-only: entry i takes a database from schema version i to i + 1. Exported for the upgrade tests. */
export const MIGRATIONS: readonly Migration[] = [
  /* 1: settings, peers, messages with full-text search */ `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE peers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    alias TEXT,
    platform TEXT NOT NULL DEFAULT '',
    addresses TEXT NOT NULL DEFAULT '[]',
    first_seen INTEGER NOT NULL,
    last_seen INTEGER,
    verified INTEGER NOT NULL DEFAULT 0,
    blocked INTEGER NOT NULL DEFAULT 0,
    cert_changed INTEGER NOT NULL DEFAULT 0,
    manual INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    peer_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    text TEXT NOT NULL,
    reply_to TEXT,
    sent_at INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    unread INTEGER NOT NULL DEFAULT 0,
    UNIQUE (peer_id, id)
  );
  CREATE INDEX messages_by_peer ON messages (peer_id, seq);
  CREATE INDEX messages_unacked ON messages (peer_id, seq) WHERE direction = 'out' AND state IN ('queued', 'sent');
  CREATE VIRTUAL TABLE messages_fts USING fts5 (text, content = 'messages', content_rowid = 'seq', tokenize = 'trigram');
  CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
  END;
  CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
  END;
  `,
  /* 2: file transfers (one row per offer) and their files */ `
  CREATE TABLE transfers (
    id TEXT PRIMARY KEY,
    peer_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    total_bytes INTEGER NOT NULL,
    file_count INTEGER NOT NULL,
    save_dir TEXT,
    error_code TEXT,
    error_message TEXT
  );
  CREATE INDEX transfers_by_peer ON transfers (peer_id, created_at);
  CREATE TABLE transfer_files (
    transfer_id TEXT NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    is_dir INTEGER NOT NULL,
    source_path TEXT,
    dest_path TEXT,
    part_path TEXT,
    saved_path TEXT,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    PRIMARY KEY (transfer_id, idx)
  );
  `,
  /* 3: when each peer was blocked ([from, to|null] pairs): what it sent then is dropped */ `
  ALTER TABLE peers ADD COLUMN blocked_periods TEXT NOT NULL DEFAULT '[]';
  `,
  /*
   * 4: conversations. Messages and transfers belong to a conversation (`direct:<peer id>`
   * for one peer; groups come later); a message is unique per (conversation, id). The
   * messages table is rebuilt for the new key, keeping every seq (the search index's rowid).
   * Peers record the protocol they speak and the capabilities of their last hello.
   */ `
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    peer_id TEXT,
    title TEXT,
    muted INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  );
  INSERT INTO conversations (id, kind, peer_id, created_at)
    SELECT 'direct:' || peer_id, 'direct', peer_id, MIN(at) FROM (
      SELECT peer_id, stored_at AS at FROM messages UNION ALL SELECT peer_id, created_at AS at FROM transfers
    ) GROUP BY peer_id;
  CREATE TABLE messages_v4 (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    peer_id TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    text TEXT NOT NULL,
    reply_to TEXT,
    sent_at INTEGER NOT NULL,
    stored_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    unread INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conversation_id, id)
  );
  INSERT INTO messages_v4 (seq, id, conversation_id, peer_id, direction, text, reply_to, sent_at, stored_at, state, unread)
    SELECT seq, id, 'direct:' || peer_id, peer_id, direction, text, reply_to, sent_at, stored_at, state, unread
    FROM messages ORDER BY seq;
  INSERT INTO sqlite_sequence (name, seq) SELECT 'messages_v4', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'messages_v4');
  UPDATE sqlite_sequence SET seq = MAX(seq, IFNULL((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0))
    WHERE name = 'messages_v4';
  DROP TABLE messages;
  ALTER TABLE messages_v4 RENAME TO messages;
  CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
  CREATE INDEX messages_unread ON messages (conversation_id) WHERE unread = 1;
  CREATE INDEX messages_unread_by_peer ON messages (peer_id) WHERE unread = 1;
  CREATE INDEX messages_unacked ON messages (conversation_id, seq) WHERE direction = 'out' AND state IN ('queued', 'sent');
  CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
  END;
  CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
  END;
  ALTER TABLE peers ADD COLUMN protocol TEXT NOT NULL DEFAULT 'ferry';
  ALTER TABLE peers ADD COLUMN caps TEXT;
  ALTER TABLE transfers ADD COLUMN conversation_id TEXT;
  UPDATE transfers SET conversation_id = 'direct:' || peer_id;
  CREATE INDEX transfers_by_conversation ON transfers (conversation_id, created_at);
  `,
  /*
   * 5: protocol-neutral peer ids. A Ferry peer's id becomes `ferry:<fingerprint>` (other
   * protocols' peers get their own prefix), in peers, messages, transfers and the direct
   * conversations they belong to (`direct:ferry:<fingerprint>`). Seqs, and so the search
   * index, stay as they are.
   */ `
  UPDATE peers SET id = 'ferry:' || id WHERE id NOT LIKE '%:%';
  INSERT INTO conversations (id, kind, peer_id, title, muted, created_at)
    SELECT 'direct:ferry:' || peer_id, kind, 'ferry:' || peer_id, title, muted, created_at
    FROM conversations WHERE kind = 'direct' AND peer_id NOT LIKE '%:%';
  UPDATE messages SET conversation_id = 'direct:ferry:' || peer_id, peer_id = 'ferry:' || peer_id
    WHERE peer_id NOT LIKE '%:%';
  UPDATE transfers SET conversation_id = 'direct:ferry:' || peer_id, peer_id = 'ferry:' || peer_id
    WHERE peer_id NOT LIKE '%:%';
  DELETE FROM conversations WHERE kind = 'direct' AND peer_id NOT LIKE '%:%';
  `,
  /*
   * 6: what the user was writing in each conversation (the composer's draft), kept across restarts.
   */ `
  ALTER TABLE conversations ADD COLUMN draft TEXT;
  `,
  /*
   * 7: a transferred picture's type and displayed size (JSON), so the conversation lays it
   * out at its aspect ratio before it loads.
   */ `
  ALTER TABLE transfer_files ADD COLUMN image TEXT;
  `,
  /*
   * 8: recalled messages. A recalled message keeps its row (the "… recalled a message" line)
   * with its text emptied; the search index follows any change of a message's text, and
   * removes a deleted text's entries at once (FTS5 secure-delete) instead of leaving them
   * in older index segments until a merge.
   */ `
  ALTER TABLE messages ADD COLUMN recalled_at INTEGER;
  INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
  CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
  END;
  `,
];

export type SqlValue = string | number | bigint | null | Uint8Array | boolean;
export type Row = Record<string, SqlValue>;

/** What opening found wrong with the file, and what was done about it (the engine tells the user). */
export interface Recovery {
  /** Where the damaged file was moved. */
  movedTo: string;
  /** What SQLite said about it. */
  problem: string;
  /** The backup the history was restored from, or null (the history starts empty). */
  restoredFrom: string | null;
}

/** The backup beside the database (VACUUM INTO): refreshed daily and before every schema upgrade. */
export function backupFile(file: string): string {
  return `${file}.backup`;
}

/** Thin wrapper: migrations, transactions, typed rows. */
export class FerryDatabase {
  /** Set when open() found the file damaged and moved it aside. */
  recovery: Recovery | null = null;

  private constructor(
    private readonly db: InstanceType<typeof Database>,
    private readonly file: string,
  ) {}

  /**
   * Opens the database after an integrity check. A damaged file is never opened
   * over or emptied silently: it is moved aside as `<file>.corrupt-<date>`, the
   * history is restored from the backup when there is a good one, and
   * `recovery` says what happened so the engine can tell the user.
   */
  static open(file: string): FerryDatabase {
    if (file === ':memory:') return FerryDatabase.openUnchecked(file);
    const problem = damage(file);
    if (!problem) return FerryDatabase.openUnchecked(file);
    const movedTo = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    clearStaleLock(file);
    renameSync(file, movedTo);
    for (const side of ['-wal', '-shm']) if (existsSync(file + side)) renameSync(file + side, movedTo + side);
    let restoredFrom: string | null = null;
    const backup = backupFile(file);
    if (existsSync(backup) && !damage(backup)) {
      copyFileSync(backup, file);
      restoredFrom = backup;
    }
    const store = FerryDatabase.openUnchecked(file);
    store.recovery = { movedTo, problem, restoredFrom };
    return store;
  }

  /** Writes a consistent copy to `<file>.backup` (VACUUM INTO a temp file, then rename). */
  backup(): string {
    const target = backupFile(this.file);
    const tmp = `${target}.tmp`;
    rmSync(tmp, { force: true });
    this.db.exec(`VACUUM INTO '${tmp.replaceAll("'", "''")}'`);
    renameSync(tmp, target);
    return target;
  }

  /** When the backup was last written (ms), or null. */
  backupTime(): number | null {
    try {
      return statSync(backupFile(this.file)).mtimeMs;
    } catch {
      return null;
    }
  }

  private static openUnchecked(file: string): FerryDatabase {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (file !== ':memory:') clearStaleLock(file);
    const db = new Database(file);
    try {
      if (file !== ':memory:') {
        // One engine owns a data dir (exclusive lock). WAL + synchronous=NORMAL keeps every
        // committed write across a killed process (only a power cut may lose the last ones)
        // and makes small writes ~100× cheaper than a journal fsync per statement.
        db.exec('PRAGMA locking_mode = EXCLUSIVE');
        db.exec('PRAGMA journal_mode = WAL');
        db.exec('PRAGMA synchronous = NORMAL');
        // What is deleted or overwritten (a recalled message's text) is zeroed on disk, not left in free space.
        db.exec('PRAGMA secure_delete = ON');
      }
      db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      db.close();
      if (/locked|busy/i.test((err as Error).message)) {
        throw new FerryError(
          'DATA_DIR_IN_USE',
          `another Ferry is already using ${path.dirname(file)}; quit it or choose another data folder`,
        );
      }
      throw err;
    }
    if (file !== ':memory:')
      writeFileSync(ownerFile(file), JSON.stringify({ pid: process.pid, startedAt: Date.now() }));
    const store = new FerryDatabase(db, file);
    store.migrate();
    return store;
  }

  get schemaVersion(): number {
    return Number(this.db.get('PRAGMA user_version')?.['user_version'] ?? 0);
  }

  private migrate(): void {
    // Before changing an existing schema, keep a copy of the history to go back to.
    if (this.file !== ':memory:' && this.schemaVersion > 0 && this.schemaVersion < MIGRATIONS.length) this.backup();
    for (let version = this.schemaVersion; version < MIGRATIONS.length; version++) {
      this.transaction(() => {
        this.db.exec(MIGRATIONS[version]!);
        this.db.exec(`PRAGMA user_version = ${version + 1}`);
      });
    }
  }

  all<T = Row>(sql: string, values?: SqlValue[] | Record<string, SqlValue>): T[] {
    return this.db.all(sql, values as never) as T[];
  }

  get<T = Row>(sql: string, values?: SqlValue[] | Record<string, SqlValue>): T | undefined {
    return (this.db.get(sql, values as never) ?? undefined) as T | undefined;
  }

  run(sql: string, values?: SqlValue[] | Record<string, SqlValue>): { changes: number; lastInsertRowid: number } {
    const info = this.db.run(sql, values as never);
    return { changes: Number(info.changes), lastInsertRowid: Number(info.lastInsertRowid) };
  }

  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    if (!this.db.isOpen) return;
    this.db.close();
    if (this.file !== ':memory:') rmSync(ownerFile(this.file), { force: true });
  }
}

/**
 * node-sqlite3-wasm locks a database with a `<file>.lock` directory, which a killed
 * process leaves behind. We record the owning pid beside it, and remove the lock
 * when that process is gone, so a crash never locks the user out of their history.
 */
/**
 * What is wrong with an existing database file, or null when it is fine or absent.
 * An empty file counts as damaged: SQLite writes its header with our first
 * migration, so a 0-byte ferry.db is a truncated one, not a new one.
 */
function damage(file: string): string | null {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return null; // no database yet: a first start
  }
  if (size === 0) return 'the file is empty (0 bytes)';
  clearStaleLock(file);
  let db: InstanceType<typeof Database> | null = null;
  try {
    // Read-only: a read-write connection deletes (or checkpoints into the damaged file) the
    // WAL on close, losing the last writes of a file we are about to move aside for recovery.
    db = new Database(file, { fileMustExist: true, readOnly: true });
    // As the engine opens it: a WAL left by a killed process is read without shared memory.
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    const rows = db.all('PRAGMA quick_check') as { quick_check: string }[];
    const verdict = rows.map((r) => r.quick_check).join('; ');
    return verdict === 'ok' ? null : verdict.slice(0, 300);
  } catch (err) {
    const message = (err as Error).message;
    if (/locked|busy/i.test(message)) return null; // in use: open() reports DATA_DIR_IN_USE
    return message;
  } finally {
    try {
      db?.close();
    } catch {
      // closing a damaged file may fail too
    }
  }
}

function ownerFile(file: string): string {
  return `${file}.owner`;
}

function clearStaleLock(file: string): void {
  const lockDir = `${file}.lock`;
  let owner: { pid?: unknown } = {};
  try {
    owner = JSON.parse(readFileSync(ownerFile(file), 'utf8')) as { pid?: unknown };
  } catch {
    // no owner recorded: the lock (if any) predates us or its owner died before writing it
  }
  if (typeof owner.pid === 'number' && isAlive(owner.pid)) return; // in use: open() reports it
  rmSync(lockDir, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

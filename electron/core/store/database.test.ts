import { spawnSync } from 'node:child_process';
import sqlite from 'node-sqlite3-wasm';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { defaultSettings } from './default-settings';
import { backupFile, FerryDatabase, MIGRATIONS } from './database';
import { MessageRepo } from './message-repo';
import { SettingsRepo } from './settings-repo';

const PEER = `ferry:${'d'.repeat(64)}`;

describe('SQLite store', () => {
  it('migrates once and keeps data across reopen', async () => {
    const file = path.join(await tempDir(), 'ferry.db');
    const db = FerryDatabase.open(file);
    expect(db.schemaVersion).toBeGreaterThan(0);
    const version = db.schemaVersion;
    new MessageRepo(db).insert({
      id: 'm1',
      conversationId: `direct:${PEER}`,
      peerId: PEER,
      direction: 'in',
      text: 'kept',
      replyTo: null,
      sentAt: 1,
      storedAt: 2,
      state: 'delivered',
    });
    db.close();
    const reopened = FerryDatabase.open(file);
    expect(reopened.schemaVersion).toBe(version);
    expect(new MessageRepo(reopened).page(`direct:${PEER}`, undefined, 10).messages.map((m) => m.text)).toEqual([
      'kept',
    ]);
    reopened.close();
  });

  it('refuses a second engine on the same data dir with DATA_DIR_IN_USE', async () => {
    const file = path.join(await tempDir(), 'ferry.db');
    const first = FerryDatabase.open(file);
    expect(() => FerryDatabase.open(file)).toThrow(expect.objectContaining({ code: 'DATA_DIR_IN_USE' }));
    first.close();
    FerryDatabase.open(file).close();
  });

  it('recovers from the lock a killed process left behind', async () => {
    const file = path.join(await tempDir(), 'ferry.db');
    FerryDatabase.open(file).close();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    mkdirSync(`${file}.lock`);
    writeFileSync(`${file}.owner`, JSON.stringify({ pid: dead }));
    const reopened = FerryDatabase.open(file);
    expect(reopened.schemaVersion).toBeGreaterThan(0);
    reopened.close();
  });

  it('rolls back a failed transaction', async () => {
    const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
    const repo = new MessageRepo(db);
    expect(() =>
      db.transaction(() => {
        repo.insert({
          id: 'm1',
          conversationId: `direct:${PEER}`,
          peerId: PEER,
          direction: 'in',
          text: 'x',
          replyTo: null,
          sentAt: 1,
          storedAt: 1,
          state: 'delivered',
        });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(repo.page(`direct:${PEER}`, undefined, 10).messages).toEqual([]);
    db.close();
  });

  it('pages history newest-first by cursor and never moves a state backwards', async () => {
    const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
    const repo = new MessageRepo(db);
    for (let i = 0; i < 5; i++) {
      repo.insert({
        id: `m${i}`,
        conversationId: `direct:${PEER}`,
        peerId: PEER,
        direction: 'out',
        text: `t${i}`,
        replyTo: null,
        sentAt: i,
        storedAt: i,
        state: 'queued',
      });
    }
    const last = repo.page(`direct:${PEER}`, undefined, 2);
    expect(last.messages.map((m) => m.text)).toEqual(['t3', 't4']);
    expect(last.hasMore).toBe(true);
    const earlier = repo.page(`direct:${PEER}`, last.messages[0]!.seq, 10);
    expect(earlier.messages.map((m) => m.text)).toEqual(['t0', 't1', 't2']);
    expect(earlier.hasMore).toBe(false);
    expect(repo.advanceState(`direct:${PEER}`, 'm0', 'delivered')?.state).toBe('delivered');
    expect(repo.advanceState(`direct:${PEER}`, 'm0', 'sent')).toBeUndefined();
    expect(repo.get(`direct:${PEER}`, 'm0')?.state).toBe('delivered');
    db.close();
  });

  it('falls back to defaults for corrupt or mistyped settings', async () => {
    const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
    const repo = new SettingsRepo(db, defaultSettings());
    repo.save({ displayName: '小明', port: 5000 });
    db.run("INSERT INTO settings (key, value) VALUES ('theme', '{not json')");
    db.run("INSERT INTO settings (key, value) VALUES ('closeToTray', '\"yes\"')");
    const loaded = repo.load();
    expect(loaded).toMatchObject({ displayName: '小明', port: 5000, theme: 'system', closeToTray: true });
    db.close();
  });

  it('opens in memory without touching the disk', () => {
    const db = FerryDatabase.open(':memory:');
    expect(db.schemaVersion).toBe(MIGRATIONS.length);
    expect(db.recovery).toBeNull();
    new MessageRepo(db).insert(message('m1', 'in memory'));
    expect(existsSync(':memory:')).toBe(false);
    expect(existsSync(':memory:.owner')).toBe(false);
    db.close();
    expect(() => db.close()).not.toThrow();
  });

  it('owns its folder: creates it owner-only, takes an exclusive WAL database, records and clears its pid', async () => {
    const dir = path.join(await tempDir(), 'nested', 'data');
    const file = path.join(dir, 'ferry.db');
    const db = FerryDatabase.open(file);
    expect(db.schemaVersion).toBe(MIGRATIONS.length);
    expect(db.recovery).toBeNull();
    if (process.platform !== 'win32') expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(db.get('PRAGMA synchronous')).toEqual({ synchronous: 1 });
    expect(db.get('PRAGMA locking_mode')).toEqual({ locking_mode: 'exclusive' });
    const owner = JSON.parse(readFileSync(`${file}.owner`, 'utf8')) as { pid: number; startedAt: number };
    expect(owner.pid).toBe(process.pid);
    expect(Math.abs(owner.startedAt - Date.now())).toBeLessThan(60_000);
    db.close();
    expect(existsSync(`${file}.owner`)).toBe(false);
    expect(() => db.close()).not.toThrow();
  });

  it('answers rows, undefined for no row, and what a write changed', async () => {
    const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
    expect(db.get('SELECT 1 AS x WHERE 0')).toBeUndefined();
    expect(db.get('SELECT ? AS x', [7])).toEqual({ x: 7 });
    expect(db.all('SELECT value AS v FROM json_each(?)', ['[1,2]'])).toEqual([{ v: 1 }, { v: 2 }]);
    db.run("INSERT INTO settings (key, value) VALUES ('a', '1')");
    expect(db.run("INSERT INTO settings (key, value) VALUES ('b', '2')")).toEqual({ changes: 1, lastInsertRowid: 2 });
    expect(db.run('UPDATE settings SET value = :v', { ':v': '3' })).toMatchObject({ changes: 2 });
    expect(db.transaction(() => 'result')).toBe('result');
    db.close();
  });

  it('keeps the error of a transaction that SQLite already rolled back', async () => {
    const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
    // SQLite ends the transaction itself on some failures (SQLITE_FULL, IOERR): no second ROLLBACK.
    expect(() =>
      db.transaction(() => {
        db.run("INSERT INTO settings (key, value) VALUES ('a', '1')");
        db.run('ROLLBACK');
        throw new Error('disk is full');
      }),
    ).toThrow('disk is full');
    expect(db.all('SELECT * FROM settings')).toEqual([]);
    db.transaction(() => db.run("INSERT INTO settings (key, value) VALUES ('b', '1')"));
    expect(db.all('SELECT key FROM settings')).toEqual([{ key: 'b' }]);
    db.close();
  });

  it("a refused second engine neither moves nor damages the first one's database", async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'ferry.db');
    const first = FerryDatabase.open(file);
    new MessageRepo(first).insert(message('m1', 'still here'));
    let refused: unknown;
    try {
      FerryDatabase.open(file);
    } catch (err) {
      refused = err;
    }
    expect(refused).toMatchObject({
      code: 'DATA_DIR_IN_USE',
      message: `another Ferry is already using ${dir}; quit it or choose another data folder`,
    });
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
    expect(new MessageRepo(first).page(`direct:${PEER}`, undefined, 10).messages.map((m) => m.text)).toEqual([
      'still here',
    ]);
    first.close();
    const again = FerryDatabase.open(file);
    expect(again.recovery).toBeNull();
    expect(new MessageRepo(again).page(`direct:${PEER}`, undefined, 10).messages.map((m) => m.text)).toEqual([
      'still here',
    ]);
    again.close();
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'the file is empty (0 bytes)'],
    ['garbage', Buffer.alloc(8192, 0x5a), 'file is not a database'],
  ])(
    'moves %s aside with its WAL intact, says why, and starts empty without a backup',
    async (_what, bytes, problem) => {
      const dir = await tempDir();
      const file = path.join(dir, 'ferry.db');
      // The WAL of a killed engine: its last writes, not yet in the main file.
      FerryDatabase.open(path.join(dir, 'donor.db')).close(); // the schema: checkpointed into the file
      const donor = FerryDatabase.open(path.join(dir, 'donor.db'));
      new MessageRepo(donor).insert(message('m1', 'only in the WAL'));
      const wal = readFileSync(path.join(dir, 'donor.db-wal'));
      expect(wal.length).toBeGreaterThan(0);
      donor.close();
      writeFileSync(file, bytes);
      writeFileSync(`${file}-wal`, wal);
      writeFileSync(`${file}-shm`, 'shm');
      const db = FerryDatabase.open(file);
      const recovery = db.recovery!;
      expect(recovery.problem).toBe(problem);
      expect(recovery.restoredFrom).toBeNull();
      expect(path.dirname(recovery.movedTo)).toBe(dir);
      // A name that is valid everywhere (no ':' from the ISO time).
      expect(path.basename(recovery.movedTo)).toMatch(/^ferry\.db\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
      expect(readFileSync(recovery.movedTo)).toEqual(bytes);
      // Checking the file did not checkpoint or delete the WAL: it moved along, intact.
      expect(readFileSync(`${recovery.movedTo}-wal`)).toEqual(wal);
      expect(readFileSync(`${recovery.movedTo}-shm`, 'utf8')).toBe('shm');
      expect(db.schemaVersion).toBe(MIGRATIONS.length);
      expect(new MessageRepo(db).page(`direct:${PEER}`, undefined, 10).messages).toEqual([]);
      db.close();
    },
  );

  it('restores a damaged database from its backup, and not from a damaged backup', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'ferry.db');
    const db = FerryDatabase.open(file);
    expect(db.backupTime()).toBeNull();
    new MessageRepo(db).insert(message('m1', 'backed up'));
    expect(db.backup()).toBe(backupFile(file));
    expect(backupFile(file)).toBe(`${file}.backup`);
    expect(Math.abs(db.backupTime()! - Date.now())).toBeLessThan(60_000);
    new MessageRepo(db).insert(message('m2', 'after the backup'));
    db.close();

    writeFileSync(file, Buffer.alloc(8192, 1));
    const restored = FerryDatabase.open(file);
    expect(restored.recovery).toMatchObject({ problem: 'file is not a database', restoredFrom: backupFile(file) });
    expect(new MessageRepo(restored).page(`direct:${PEER}`, undefined, 10).messages.map((m) => m.text)).toEqual([
      'backed up',
    ]);
    restored.close();

    writeFileSync(file, Buffer.alloc(0));
    writeFileSync(backupFile(file), Buffer.alloc(8192, 2));
    const empty = FerryDatabase.open(file);
    expect(empty.recovery).toMatchObject({ problem: 'the file is empty (0 bytes)', restoredFrom: null });
    expect(new MessageRepo(empty).page(`direct:${PEER}`, undefined, 10).messages).toEqual([]);
    empty.close();
  });

  it('writes a backup over a stale one and its leftover temp file, in a folder with a quote in its name', async () => {
    const dir = path.join(await tempDir(), "it's");
    const file = path.join(dir, 'ferry.db');
    const db = FerryDatabase.open(file);
    new MessageRepo(db).insert(message('m1', 'one'));
    writeFileSync(backupFile(file), 'stale');
    writeFileSync(`${backupFile(file)}.tmp`, 'left by a crash');
    db.backup();
    expect(existsSync(`${backupFile(file)}.tmp`)).toBe(false);
    db.close();
    const copy = FerryDatabase.open(backupFile(file));
    expect(copy.recovery).toBeNull();
    expect(new MessageRepo(copy).page(`direct:${PEER}`, undefined, 10).messages.map((m) => m.text)).toEqual(['one']);
    copy.close();
  });

  it('backs up the history before upgrading an older schema, and only then', async () => {
    const file = path.join(await tempDir(), 'ferry.db');
    const fresh = FerryDatabase.open(file);
    expect(existsSync(backupFile(file))).toBe(false); // nothing to keep on a first start
    fresh.close();
    // Make it a version-2 database, as Ferry 0.1.0's first releases wrote it.
    rmSync(file);
    const old = new sqlite.Database(file);
    old.exec(MIGRATIONS[0]! + MIGRATIONS[1]! + 'PRAGMA user_version = 2;');
    old.run(
      `INSERT INTO messages (id, peer_id, direction, text, sent_at, stored_at, state) VALUES (?, ?, 'in', ?, 1, 2, 'delivered')`,
      ['m1', PEER, 'from version 2'],
    );
    old.close();

    const upgraded = FerryDatabase.open(file);
    expect(upgraded.schemaVersion).toBe(MIGRATIONS.length);
    expect(upgraded.all("SELECT name FROM pragma_table_info('peers') WHERE name = 'blocked_periods'")).toHaveLength(1);
    upgraded.close();
    const backup = FerryDatabase.open(backupFile(file)); // opening it upgrades the copy, after reading it
    expect(new MessageRepo(backup).page(`direct:${PEER}`, undefined, 10).messages.map((m) => m.text)).toEqual([
      'from version 2',
    ]);
    backup.close();

    const other = path.join(await tempDir(), 'ferry.db');
    FerryDatabase.open(other).close();
    FerryDatabase.open(other).close(); // current schema: no backup
    expect(existsSync(backupFile(other))).toBe(false);
  });

  it('opens the database a killed engine left with its WAL as it is, the last writes included', async () => {
    const dir = await tempDir();
    const live = path.join(dir, 'live.db');
    FerryDatabase.open(live).close();
    const db = FerryDatabase.open(live);
    new MessageRepo(db).insert(message('m1', 'only in the WAL'));
    // What a killed engine leaves: the file, its WAL (no shared-memory file), its lock and pid.
    const file = path.join(dir, 'ferry.db');
    writeFileSync(file, readFileSync(live));
    writeFileSync(`${file}-wal`, readFileSync(`${live}-wal`));
    db.close();
    mkdirSync(`${file}.lock`);
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(`${file}.owner`, JSON.stringify({ pid: dead }));
    const reopened = FerryDatabase.open(file);
    expect(reopened.recovery).toBeNull();
    expect(new MessageRepo(reopened).page(`direct:${PEER}`, undefined, 10).messages.map((m) => m.text)).toEqual([
      'only in the WAL',
    ]);
    reopened.close();
  });

  it('moves a damaged database aside even when a killed engine left it locked', async () => {
    const file = path.join(await tempDir(), 'ferry.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    mkdirSync(`${file}.lock`);
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(`${file}.owner`, JSON.stringify({ pid: dead }));
    const db = FerryDatabase.open(file);
    expect(db.recovery).toMatchObject({ problem: 'file is not a database', restoredFrom: null });
    db.close();
  });

  it('names what the integrity check found in a damaged page, in at most 300 characters', async () => {
    const file = path.join(await tempDir(), 'ferry.db');
    const db = FerryDatabase.open(file);
    db.transaction(() => {
      for (let i = 0; i < 3000; i++)
        db.run('INSERT INTO settings (key, value) VALUES (?, ?)', [`key ${i}`, 'v'.repeat(50)]);
    });
    db.close();
    const bytes = readFileSync(file);
    // Zeros over part of a settings page: it opens, but the integrity check has a long list.
    bytes.fill(0, 159_944, 159_944 + 4096);
    writeFileSync(file, bytes);
    const reopened = FerryDatabase.open(file);
    const problem = reopened.recovery!.problem;
    expect(problem).toMatch(/^\*\*\* in database main \*\*\*\n/);
    expect(problem).toHaveLength(300);
    reopened.close();
  });
});

function message(id: string, text: string) {
  return {
    id,
    conversationId: `direct:${PEER}`,
    peerId: PEER,
    direction: 'in' as const,
    text,
    replyTo: null,
    sentAt: 1,
    storedAt: 2,
    state: 'delivered' as const,
  };
}

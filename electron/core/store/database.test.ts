import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { defaultSettings } from '../ferry-node';
import { FerryDatabase } from './database';
import { MessageRepo } from './message-repo';
import { SettingsRepo } from './settings-repo';

const PEER = 'd'.repeat(64);

describe('SQLite store', () => {
  it('migrates once and keeps data across reopen', async () => {
    const file = path.join(await tempDir(), 'ferry.db');
    const db = FerryDatabase.open(file);
    expect(db.schemaVersion).toBeGreaterThan(0);
    const version = db.schemaVersion;
    new MessageRepo(db).insert({
      id: 'm1',
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
    expect(new MessageRepo(reopened).page(PEER, undefined, 10).messages.map((m) => m.text)).toEqual(['kept']);
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
    expect(repo.page(PEER, undefined, 10).messages).toEqual([]);
    db.close();
  });

  it('pages history newest-first by cursor and never moves a state backwards', async () => {
    const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
    const repo = new MessageRepo(db);
    for (let i = 0; i < 5; i++) {
      repo.insert({
        id: `m${i}`,
        peerId: PEER,
        direction: 'out',
        text: `t${i}`,
        replyTo: null,
        sentAt: i,
        storedAt: i,
        state: 'queued',
      });
    }
    const last = repo.page(PEER, undefined, 2);
    expect(last.messages.map((m) => m.text)).toEqual(['t3', 't4']);
    expect(last.hasMore).toBe(true);
    const earlier = repo.page(PEER, last.messages[0]!.seq, 10);
    expect(earlier.messages.map((m) => m.text)).toEqual(['t0', 't1', 't2']);
    expect(earlier.hasMore).toBe(false);
    expect(repo.advanceState(PEER, 'm0', 'delivered')?.state).toBe('delivered');
    expect(repo.advanceState(PEER, 'm0', 'sent')).toBeUndefined();
    expect(repo.get(PEER, 'm0')?.state).toBe('delivered');
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
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SettingsDto } from '../../../shared/dto';
import { tempDir } from '../../../test/helpers/temp-dir';
import { FerryDatabase } from './database';
import { SettingsRepo } from './settings-repo';

function defaults(): SettingsDto {
  return {
    displayName: 'Ferry',
    downloadDir: '/home/u/Downloads/Ferry',
    port: 53317,
    discovery: true,
    ipmsg: true,
    autoAcceptVerified: false,
    language: 'system',
    theme: 'system',
    closeToTray: true,
  };
}

async function openRepo(): Promise<{ db: FerryDatabase; repo: SettingsRepo }> {
  const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
  return { db, repo: new SettingsRepo(db, defaults()) };
}

describe('SettingsRepo', () => {
  it('starts from the defaults and keeps what was saved, the last save winning', async () => {
    const { db, repo } = await openRepo();
    expect(repo.load()).toEqual(defaults());
    repo.save({ port: 6000, discovery: false, theme: 'dark' });
    repo.save({ port: 7000, displayName: 'Desk' });
    expect(repo.load()).toEqual({
      ...defaults(),
      port: 7000,
      discovery: false,
      theme: 'dark',
      displayName: 'Desk',
    });
    db.close();
  });

  it('leaves a setting alone when the patch says undefined', async () => {
    const { db, repo } = await openRepo();
    repo.save({ port: 6000 });
    repo.save({ port: undefined, closeToTray: false });
    expect(repo.load()).toMatchObject({ port: 6000, closeToTray: false });
    db.close();
  });

  it('saves a patch all or nothing', async () => {
    const { db, repo } = await openRepo();
    // JSON.stringify throws on a bigint, after displayName was written in the same transaction.
    expect(() => repo.save({ displayName: 'half', port: 10n as never })).toThrow();
    expect(repo.load().displayName).toBe('Ferry');
    db.close();
  });

  it('ignores unknown keys, corrupt JSON and values of the wrong type, keeping the rest', async () => {
    const { db, repo } = await openRepo();
    repo.save({ displayName: '小明', port: 5000 });
    db.run("INSERT INTO settings (key, value) VALUES ('bogus', '1')");
    db.run("INSERT INTO settings (key, value) VALUES ('theme', '{not json')");
    db.run("INSERT INTO settings (key, value) VALUES ('closeToTray', '\"yes\"')");
    db.run("INSERT INTO settings (key, value) VALUES ('discovery', 'null')");
    const loaded = repo.load();
    expect(loaded).toEqual({ ...defaults(), displayName: '小明', port: 5000 });
    expect(loaded).not.toHaveProperty('bogus');
    db.close();
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { FerryDatabase } from './database';
import { PeerRepo } from './peer-repo';

const A = `ferry:${'a'.repeat(64)}`;
const B = `ferry:${'b'.repeat(64)}`;
const C = `ferry:${'c'.repeat(64)}`;

async function openRepo(): Promise<{ db: FerryDatabase; repo: PeerRepo }> {
  const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
  return { db, repo: new PeerRepo(db) };
}

describe('PeerRepo', () => {
  it('pins a new peer with every field, and refreshes it without touching what the user set', async () => {
    const { db, repo } = await openRepo();
    expect(repo.get(A)).toBeUndefined();
    const first = repo.upsertSeen({ id: A, name: 'Alice', platform: 'linux', address: '10.0.0.1:53317' }, 100);
    expect(first).toEqual({
      id: A,
      name: 'Alice',
      alias: null,
      platform: 'linux',
      addresses: ['10.0.0.1:53317'],
      firstSeen: 100,
      lastSeen: 100,
      verified: false,
      blocked: false,
      certChanged: false,
      manual: false,
      blockedPeriods: [],
      protocol: 'ferry',
      caps: null,
    });
    repo.update(A, { alias: 'Mum', verified: true, manual: true });
    const again = repo.upsertSeen(
      { id: A, name: 'Alice 2', platform: 'win32', address: '10.0.0.2:53317', caps: ['chat/1', 'x/2'] },
      200,
    );
    expect(again).toEqual({
      ...first,
      name: 'Alice 2',
      alias: 'Mum',
      platform: 'win32',
      addresses: ['10.0.0.2:53317', '10.0.0.1:53317'],
      lastSeen: 200,
      verified: true,
      manual: true,
      caps: ['chat/1', 'x/2'],
    });
    expect(repo.get(A)).toEqual(again);
    // A refresh that says nothing about capabilities keeps the last ones heard.
    expect(repo.upsertSeen({ id: A, name: 'Alice 2', platform: 'win32' }, 300).caps).toEqual(['chat/1', 'x/2']);
    // Garbage in the column reads as "not heard yet", never as a crash.
    db.run("UPDATE peers SET caps = 'not json' WHERE id = ?", [A]);
    expect(repo.get(A)!.caps).toBeNull();
    db.run('UPDATE peers SET caps = \'["chat/1", 5]\' WHERE id = ?', [A]);
    expect(repo.get(A)!.caps).toEqual(['chat/1']);
    db.close();
  });

  it('keeps the newest address first, without duplicates, at most 8; no address keeps the list', async () => {
    const { db, repo } = await openRepo();
    for (let i = 1; i <= 10; i++) repo.upsertSeen({ id: A, name: 'A', platform: 'p', address: `h${i}:1` }, i);
    expect(repo.get(A)!.addresses).toEqual(['h10:1', 'h9:1', 'h8:1', 'h7:1', 'h6:1', 'h5:1', 'h4:1', 'h3:1']);
    repo.upsertSeen({ id: A, name: 'A', platform: 'p', address: 'h5:1' }, 11);
    expect(repo.get(A)!.addresses).toEqual(['h5:1', 'h10:1', 'h9:1', 'h8:1', 'h7:1', 'h6:1', 'h4:1', 'h3:1']);
    const seen = repo.upsertSeen({ id: A, name: 'A', platform: 'p' }, 12);
    expect(seen.addresses).toEqual(['h5:1', 'h10:1', 'h9:1', 'h8:1', 'h7:1', 'h6:1', 'h4:1', 'h3:1']);
    expect(seen.lastSeen).toBe(12);
    expect(repo.upsertSeen({ id: B, name: 'B', platform: 'p' }, 1).addresses).toEqual([]);
    db.close();
  });

  it('stores a NUL in a name or platform as U+FFFD instead of cutting the text', async () => {
    const { db, repo } = await openRepo();
    const peer = repo.upsertSeen({ id: A, name: 'Bob\0Mallory\0', platform: 'li\0nux' }, 1);
    expect(peer.name).toBe('Bob\uFFFDMallory\uFFFD');
    expect(peer.platform).toBe('li\uFFFDnux');
    expect(repo.get(A)!.name).toBe('Bob\uFFFDMallory\uFFFD');
    db.close();
  });

  it('lists peers by when they were last seen, newest first', async () => {
    const { db, repo } = await openRepo();
    repo.upsertSeen({ id: A, name: 'A', platform: 'p' }, 10);
    repo.upsertSeen({ id: B, name: 'B', platform: 'p' }, 30);
    repo.upsertSeen({ id: C, name: 'C', platform: 'p' }, 20);
    expect(repo.all().map((p) => p.name)).toEqual(['B', 'C', 'A']);
    // A manually added peer never seen yet sorts by when it was added.
    db.run("INSERT INTO peers (id, name, first_seen, last_seen) VALUES ('d', 'D', 25, NULL)");
    expect(repo.all().map((p) => p.name)).toEqual(['B', 'D', 'C', 'A']);
    expect(repo.get('d')).toMatchObject({ lastSeen: null, firstSeen: 25, platform: '', addresses: [] });
    db.close();
  });

  it('updates flags and alias, skips undefined, and answers undefined for an unknown peer', async () => {
    const { db, repo } = await openRepo();
    repo.upsertSeen({ id: A, name: 'A', platform: 'p' }, 1);
    expect(repo.update(A, { blocked: true, certChanged: true })).toMatchObject({
      blocked: true,
      certChanged: true,
      verified: false,
      manual: false,
      alias: null,
    });
    expect(repo.update(A, { blocked: false, alias: 'x', verified: undefined })).toMatchObject({
      blocked: false,
      certChanged: true,
      alias: 'x',
    });
    expect(repo.update(A, { alias: null, verified: true, certChanged: false })).toMatchObject({
      alias: null,
      verified: true,
      certChanged: false,
    });
    expect(repo.update(B, { verified: true })).toBeUndefined();
    db.close();
  });

  it('records block periods and tells whether a timestamp fell inside one', async () => {
    const { db, repo } = await openRepo();
    repo.upsertSeen({ id: A, name: 'A', platform: 'p' }, 1);
    expect(repo.wasBlockedAt(A, 100)).toBe(false);
    repo.markBlocked(A, true, 100);
    repo.markBlocked(A, true, 150); // already blocked: the period stays open from 100
    expect(repo.get(A)!.blockedPeriods).toEqual([[100, null]]);
    expect(repo.wasBlockedAt(A, 99)).toBe(false);
    expect(repo.wasBlockedAt(A, 100)).toBe(true);
    expect(repo.wasBlockedAt(A, 1e12)).toBe(true);
    repo.markBlocked(A, false, 200);
    repo.markBlocked(A, false, 250); // not blocked: nothing to close
    expect(repo.get(A)!.blockedPeriods).toEqual([[100, 200]]);
    expect(repo.wasBlockedAt(A, 199)).toBe(true);
    expect(repo.wasBlockedAt(A, 200)).toBe(false);
    repo.markBlocked(A, true, 300);
    expect(repo.get(A)!.blockedPeriods).toEqual([
      [100, 200],
      [300, null],
    ]);
    expect(repo.wasBlockedAt(A, 250)).toBe(false);
    expect(repo.wasBlockedAt(A, 300)).toBe(true);
    expect(repo.wasBlockedAt(B, 300)).toBe(false);
    db.close();
  });

  it('keeps the last 50 block periods', async () => {
    const { db, repo } = await openRepo();
    repo.upsertSeen({ id: A, name: 'A', platform: 'p' }, 1);
    for (let i = 0; i < 60; i++) {
      repo.markBlocked(A, true, i * 10);
      repo.markBlocked(A, false, i * 10 + 5);
    }
    const periods = repo.get(A)!.blockedPeriods;
    expect(periods).toHaveLength(50);
    expect(periods[0]).toEqual([100, 105]);
    expect(periods.at(-1)).toEqual([590, 595]);
    db.close();
  });

  it('reads damaged address and period columns as empty, keeping the well-formed entries', async () => {
    const { db, repo } = await openRepo();
    repo.upsertSeen({ id: A, name: 'A', platform: 'p' }, 1);
    const set = (addresses: string, periods: string) =>
      db.run('UPDATE peers SET addresses = ?, blocked_periods = ? WHERE id = ?', [addresses, periods, A]);
    set('{not json', '{not json');
    expect(repo.get(A)).toMatchObject({ addresses: [], blockedPeriods: [] });
    set('{"a":1}', '{"a":1}');
    expect(repo.get(A)).toMatchObject({ addresses: [], blockedPeriods: [] });
    set('["h:1", 7, null, "h:2"]', '[[1, 2], [3, null], [4], ["5", 6], [7, "8"], 9, null, [10, 11]]');
    expect(repo.get(A)).toMatchObject({
      addresses: ['h:1', 'h:2'],
      blockedPeriods: [
        [1, 2],
        [3, null],
        [10, 11],
      ],
    });
    expect(repo.wasBlockedAt(A, 1)).toBe(true);
    expect(repo.wasBlockedAt(A, 2)).toBe(false);
    expect(repo.wasBlockedAt(A, 3)).toBe(true);
    db.close();
  });

  it('ignores a block mark for a peer it does not know', async () => {
    const { db, repo } = await openRepo();
    expect(() => repo.markBlocked(A, true, 100)).not.toThrow();
    expect(repo.get(A)).toBeUndefined();
    expect(repo.wasBlockedAt(A, 100)).toBe(false);
    db.close();
  });

  it('forgets a removed peer', async () => {
    const { db, repo } = await openRepo();
    repo.upsertSeen({ id: A, name: 'A', platform: 'p' }, 1);
    repo.upsertSeen({ id: B, name: 'B', platform: 'p' }, 1);
    repo.remove(A);
    expect(repo.get(A)).toBeUndefined();
    expect(repo.all().map((p) => p.id)).toEqual([B]);
    db.close();
  });
});

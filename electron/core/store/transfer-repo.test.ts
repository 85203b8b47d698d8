import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir';
import { testFile } from '../../../test/helpers/transfer-records';
import { FerryDatabase } from './database';
import { TransferRepo, type Transfer, type TransferFile } from './transfer-repo';

const A = `ferry:${'a'.repeat(64)}`;
const B = `ferry:${'b'.repeat(64)}`;

async function openRepo(): Promise<{ db: FerryDatabase; repo: TransferRepo }> {
  const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
  return { db, repo: new TransferRepo(db) };
}

function file(index: number, over: Partial<TransferFile> = {}): TransferFile {
  return testFile(index, {
    path: `dir/f${index}.txt`,
    size: 100 + index,
    mtime: 1_700_000_000_000 + index,
    dest: null,
    ...over,
  });
}

function transfer(id: string, over: Partial<Transfer> = {}): Transfer {
  return {
    id,
    peerId: A,
    direction: 'out',
    state: 'offered',
    createdAt: 1000,
    updatedAt: 1000,
    totalBytes: 0,
    saveDir: null,
    error: null,
    files: [],
    ...over,
  };
}

describe('TransferRepo', () => {
  it('stores a transfer with all its files and reads it back field for field', async () => {
    const { db, repo } = await openRepo();
    const t = transfer('t1', {
      peerId: B,
      direction: 'in',
      state: 'active',
      createdAt: 11,
      updatedAt: 12,
      totalBytes: 6 * 1024 ** 3,
      saveDir: '/home/u/Downloads',
      error: { code: 'DISK_FULL', message: 'full' },
      files: [
        file(1, {
          path: 'a/b.bin',
          size: 5 * 1024 ** 3,
          isDirectory: false,
          source: '/src/b.bin',
          dest: 'a/b.bin',
          part: '/home/u/Downloads/a/b.bin.part',
          saved: '/home/u/Downloads/a/b.bin',
          bytesDone: 4 * 1024 ** 3,
          state: 'failed',
          error: { code: 'HASH_MISMATCH', message: 'bad' },
        }),
        file(0, { path: 'a', size: 0, isDirectory: true, state: 'done' }),
      ],
    });
    repo.insert(t);
    expect(repo.exists('t1')).toBe(true);
    expect(repo.exists('t2')).toBe(false);
    expect(repo.get('t2')).toBeUndefined();
    expect(repo.get('t1')).toEqual({
      ...t,
      fileCount: 2,
      files: [t.files[1], t.files[0]], // by index
    });
    db.close();
  });

  it('saves state changes of the transfer and of each file', async () => {
    const { db, repo } = await openRepo();
    const t = transfer('t1', { files: [file(0), file(1)] });
    repo.insert(t);
    repo.insert(transfer('t2', { files: [file(0)] }));
    t.state = 'paused';
    t.updatedAt = 2000;
    t.saveDir = '/x';
    t.error = { code: 'PEER_GONE', message: 'left' };
    repo.saveTransfer(t);
    expect(repo.get('t1')).toMatchObject({ state: 'paused', updatedAt: 2000, saveDir: '/x', error: t.error });
    const f = { ...t.files[1]!, dest: 'd', part: 'p', saved: 's', bytesDone: 42, state: 'done' as const };
    f.error = { code: 'E', message: 'm' };
    repo.saveFile('t1', f);
    expect(repo.get('t1')!.files).toEqual([t.files[0], f]);
    expect(repo.get('t2')!.files).toEqual([file(0)]);
    t.error = null;
    t.state = 'done';
    t.files = [
      { ...t.files[0]!, bytesDone: 100, state: 'done' },
      { ...f, error: null },
    ];
    repo.saveAll(t);
    const saved = repo.get('t1')!;
    expect(saved.error).toBeNull();
    expect(saved.state).toBe('done');
    expect(saved.files).toEqual(t.files);
    db.close();
  });

  it('saves all or nothing', async () => {
    const { db, repo } = await openRepo();
    const t = transfer('t1', { files: [file(0)] });
    repo.insert(t);
    // A file whose columns SQLite refuses (NOT NULL) fails the whole save.
    const broken = { ...t, state: 'done' as const, files: [{ ...t.files[0]!, state: null as never }] };
    expect(() => repo.saveAll(broken)).toThrow();
    expect(repo.get('t1')!.state).toBe('offered');
    // An insert with a refused file leaves no transfer behind.
    expect(() => repo.insert(transfer('t2', { files: [file(0), { ...file(1), path: null as never }] }))).toThrow();
    expect(repo.exists('t2')).toBe(false);
    db.close();
  });

  it("keeps a picture's type and size, and reads a damaged or foreign one as no picture", async () => {
    const { db, repo } = await openRepo();
    const image = { mime: 'image/png' as const, width: 48, height: 30 };
    repo.insert(transfer('t1', { files: [file(0, { image }), file(1)] }));
    expect(repo.get('t1')!.files.map((f) => f.image)).toEqual([image, null]);
    const later = { ...repo.get('t1')!.files[1]!, image: { mime: 'image/jpeg' as const, width: 3, height: 4 } };
    repo.saveFile('t1', later);
    expect(repo.get('t1')!.files[1]!.image).toEqual(later.image);
    for (const damaged of [
      'not json',
      '{"mime":"image/svg+xml","width":1,"height":1}',
      '{"mime":"image/png","width":0,"height":1}',
      '{"mime":"image/png","width":1,"height":16385}',
      '{"mime":"image/png","width":1.5,"height":1}',
      '{"mime":"image/png","width":1}',
      'null',
    ]) {
      db.run('UPDATE transfer_files SET image = ? WHERE idx = 0', [damaged]);
      expect(repo.get('t1')!.files[0]!.image, damaged).toBeNull();
    }
    db.run('UPDATE transfer_files SET image = ? WHERE idx = 0', [
      '{"mime":"image/gif","width":16384,"height":1,"extra":1}',
    ]);
    expect(repo.get('t1')!.files[0]!.image).toEqual({ mime: 'image/gif', width: 16384, height: 1 });
    db.close();
  });

  it('reads an error code without a message as an empty message', async () => {
    const { db, repo } = await openRepo();
    repo.insert(transfer('t1', { files: [file(0)] }));
    db.run("UPDATE transfers SET error_code = 'X', error_message = NULL");
    db.run("UPDATE transfer_files SET error_code = 'Y', error_message = NULL");
    expect(repo.get('t1')!.error).toEqual({ code: 'X', message: '' });
    expect(repo.get('t1')!.files[0]!.error).toEqual({ code: 'Y', message: '' });
    db.run("UPDATE transfers SET error_code = NULL, error_message = 'orphan'");
    expect(repo.get('t1')!.error).toBeNull();
    db.close();
  });

  it('lists ids newest first, per peer, before a time, within a limit, hiding ended incoming offers', async () => {
    const { db, repo } = await openRepo();
    repo.insert(transfer('old', { createdAt: 10 }));
    repo.insert(transfer('b', { createdAt: 20, peerId: B }));
    repo.insert(transfer('expired', { createdAt: 30, direction: 'in', state: 'expired' }));
    repo.insert(transfer('declined', { createdAt: 40, direction: 'in', state: 'declined' }));
    repo.insert(transfer('out-declined', { createdAt: 50, direction: 'out', state: 'declined' }));
    repo.insert(transfer('in-done', { createdAt: 60, direction: 'in', state: 'done' }));
    repo.insert(transfer('same-1', { createdAt: 70 }));
    repo.insert(transfer('same-2', { createdAt: 70 }));
    expect(repo.ids()).toEqual(['same-2', 'same-1', 'in-done', 'out-declined', 'b', 'old']);
    expect(repo.ids(undefined, 500, { includeEnded: true })).toEqual([
      'same-2',
      'same-1',
      'in-done',
      'out-declined',
      'declined',
      'expired',
      'b',
      'old',
    ]);
    expect(repo.ids(A)).toEqual(['same-2', 'same-1', 'in-done', 'out-declined', 'old']);
    expect(repo.ids(B)).toEqual(['b']);
    expect(repo.ids(undefined, 2)).toEqual(['same-2', 'same-1']);
    expect(repo.ids(A, 500, { before: 60 })).toEqual(['out-declined', 'old']);
    expect(repo.ids(A, 1, { before: 60, includeEnded: true })).toEqual(['out-declined']);
    db.close();
  });

  it('drops the file list of an offer but keeps its summary and file count', async () => {
    const { db, repo } = await openRepo();
    repo.insert(transfer('t1', { files: [file(0), file(1), file(2)], totalBytes: 303 }));
    repo.insert(transfer('t2', { files: [file(0)] }));
    repo.dropFiles('t1');
    expect(repo.get('t1')).toMatchObject({ id: 't1', files: [], fileCount: 3, totalBytes: 303 });
    expect(repo.get('t2')!.files).toHaveLength(1);
    db.close();
  });

  it('knows where incoming transfers saved files (never outgoing sources)', async () => {
    const { db, repo } = await openRepo();
    repo.insert(transfer('in', { direction: 'in', files: [file(0, { saved: '/dl/a.txt' })] }));
    repo.insert(transfer('out', { direction: 'out', files: [file(0, { saved: '/dl/b.txt', source: '/dl/c.txt' })] }));
    expect(repo.isSavedPath('/dl/a.txt')).toBe(true);
    expect(repo.isSavedPath('/dl/b.txt')).toBe(false);
    expect(repo.isSavedPath('/dl/c.txt')).toBe(false);
    expect(repo.isSavedPath('/dl')).toBe(false);
    db.close();
  });

  it('lists the transfers that were offered, active or paused when the engine stopped', async () => {
    const { db, repo } = await openRepo();
    const states = ['offered', 'active', 'paused', 'done', 'declined', 'expired', 'failed', 'cancelled'] as const;
    for (const state of states) repo.insert(transfer(state, { state }));
    expect(repo.unfinishedIds().sort()).toEqual(['active', 'offered', 'paused']);
    db.close();
  });
});

describe('searchNames', () => {
  it('finds files and folders by their own name (any case for ASCII), newest transfer first', async () => {
    const { repo } = await openRepo();
    repo.insert(
      transfer('00000000-0000-4000-8000-000000000001', {
        createdAt: 1000,
        files: [
          file(0, { path: 'Reports', isDirectory: true }),
          file(1, { path: 'Reports/Q3 report.PDF' }),
          file(2, { path: 'Reports/notes.txt' }),
        ],
      }),
    );
    repo.insert(
      transfer('00000000-0000-4000-8000-000000000002', {
        createdAt: 2000,
        files: [file(0, { path: '季度报告.xlsx' }), file(1, { path: 'report-final.doc' })],
      }),
    );
    expect(repo.searchNames('report')).toEqual([
      { transferId: '00000000-0000-4000-8000-000000000002', path: 'report-final.doc', isDir: false },
      { transferId: '00000000-0000-4000-8000-000000000001', path: 'Reports', isDir: true },
      { transferId: '00000000-0000-4000-8000-000000000001', path: 'Reports/Q3 report.PDF', isDir: false },
    ]);
    // notes.txt is inside "Reports" but its own name does not match.
    expect(repo.searchNames('报告').map((h) => h.path)).toEqual(['季度报告.xlsx']);
    expect(repo.searchNames('.pdf').map((h) => h.path)).toEqual(['Reports/Q3 report.PDF']);
    expect(repo.searchNames('report', 1)).toHaveLength(1);
  });

  it('takes % and _ literally, and finds nothing for blank or control-only text', async () => {
    const { repo } = await openRepo();
    repo.insert(
      transfer('00000000-0000-4000-8000-000000000003', {
        files: [file(0, { path: '100%_done.txt' }), file(1, { path: 'abc.txt' })],
      }),
    );
    expect(repo.searchNames('%_').map((h) => h.path)).toEqual(['100%_done.txt']);
    expect(repo.searchNames('_')).toHaveLength(1);
    expect(repo.searchNames('   ')).toEqual([]);
    expect(repo.searchNames('\u0000\u0007')).toEqual([]);
  });
});

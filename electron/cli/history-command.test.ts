/** What `ferry history` reads from a data dir and how it prints it (in-process, real SQLite). */
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testIo } from '../../test/helpers/cli-io';
import { tempDir } from '../../test/helpers/temp-dir';
import { FerryDatabase } from '../core/store/database';
import { MessageRepo } from '../core/store/message-repo';
import { PeerRepo } from '../core/store/peer-repo';
import { TransferRepo, type Transfer } from '../core/store/transfer-repo';
import { formatConversation, formatList, historyCommand, pickConversation, readHistory } from './history-command';

const BOB = `ferry:${'b0b0'.padEnd(64, '1')}`;
const BOB2 = `ferry:${'b0b0'.padEnd(64, '2')}`;
const QUIET = `ferry:${'c'.repeat(64)}`;
const open: FerryDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

async function store() {
  const db = FerryDatabase.open(path.join(await tempDir('ferry-history-unit-'), 'ferry.db'));
  open.push(db);
  return { db, peers: new PeerRepo(db), messages: new MessageRepo(db), transfers: new TransferRepo(db) };
}

const message = (peerId: string, n: number, extra: Partial<Parameters<MessageRepo['insert']>[0]> = {}) => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  conversationId: `direct:${peerId}`,
  peerId,
  direction: 'in' as const,
  text: `message ${n}`,
  replyTo: null,
  sentAt: 1000 * n,
  storedAt: 1000 * n,
  state: 'delivered' as const,
  ...extra,
});

const transfer = (peerId: string, createdAt: number, extra: Partial<Transfer> = {}): Transfer => ({
  id: `11111111-0000-4000-8000-${String(createdAt).padStart(12, '0')}`,
  peerId,
  direction: 'out',
  state: 'done',
  createdAt,
  updatedAt: createdAt,
  totalBytes: 3 * 1024 * 1024,
  saveDir: null,
  error: null,
  files: [
    {
      index: 0,
      path: 'photos/a.jpg',
      size: 3 * 1024 * 1024,
      mtime: 0,
      isDirectory: false,
      source: '/home/me/photos/a.jpg',
      dest: null,
      part: null,
      saved: null,
      bytesDone: 3 * 1024 * 1024,
      state: 'done',
      error: null,
    },
  ],
  ...extra,
});

describe('readHistory', () => {
  it('gives each peer with activity a direct conversation, newest activity first, quiet peers left out', async () => {
    const s = await store();
    s.peers.upsertSeen({ id: BOB, name: 'Bob', platform: 'linux' }, 1);
    s.peers.update(BOB, { alias: 'Bobby', verified: true });
    s.peers.upsertSeen({ id: BOB2, name: 'Bob Two', platform: 'win32' }, 1);
    s.peers.upsertSeen({ id: QUIET, name: 'Quiet', platform: 'linux' }, 1);
    s.messages.insert(message(BOB, 1));
    s.messages.insert(message(BOB, 2, { direction: 'out', state: 'read' }));
    s.transfers.insert(transfer(BOB, 1500));
    s.transfers.insert(transfer(BOB2, 9000, { state: 'active', direction: 'in' }));

    const all = await readHistory(s.db);
    expect(all.map((c) => c.id)).toEqual([`direct:${BOB2}`, `direct:${BOB}`]);
    const bob = all[1]!;
    expect(bob).toMatchObject({
      kind: 'direct',
      peer: { id: BOB, name: 'Bobby', announcedName: 'Bob', alias: 'Bobby', verified: true, blocked: false },
      unread: 1,
      lastActivity: 2000,
    });
    expect(bob.messages.map((m) => [m.text, m.direction, m.state])).toEqual([
      ['message 1', 'in', 'delivered'],
      ['message 2', 'out', 'read'],
    ]);
    expect(bob.files).toEqual([
      {
        id: transfer(BOB, 1500).id,
        direction: 'out',
        state: 'done',
        createdAt: 1500,
        totalBytes: 3 * 1024 * 1024,
        fileCount: 1,
        files: [{ path: 'photos/a.jpg', size: 3 * 1024 * 1024, isDirectory: false, state: 'done', savedPath: null }],
        error: null,
      },
    ]);
    // Nothing runs while history holds the database: an 'active' transfer is a paused one.
    expect(all[0]!.files[0]!.state).toBe('paused');
    expect(all[0]!.lastActivity).toBe(9000);
  });

  it('reads every message of a long conversation, across pages, in stored order', async () => {
    const s = await store();
    s.peers.upsertSeen({ id: BOB, name: 'Bob', platform: 'linux' }, 1);
    s.db.transaction(() => {
      for (let n = 1; n <= 1203; n++) s.messages.insert(message(BOB, n));
    });
    const [bob] = await readHistory(s.db);
    expect(bob!.messages).toHaveLength(1203);
    expect(bob!.messages[0]!.text).toBe('message 1');
    expect(bob!.messages.at(-1)!.text).toBe('message 1203');
    expect(bob!.messages.every((m, i) => i === 0 || m.seq > bob!.messages[i - 1]!.seq)).toBe(true);
  });
});

describe('pickConversation', () => {
  it('finds a conversation by its id, its peer id, or an unambiguous start of 4+ characters', async () => {
    const s = await store();
    for (const [id, n] of [
      [BOB, 1],
      [BOB2, 2],
      [QUIET, 3],
    ] as const) {
      s.peers.upsertSeen({ id, name: id.slice(0, 3), platform: 'linux' }, 1);
      s.messages.insert(message(id, n));
    }
    const all = await readHistory(s.db);
    expect(pickConversation(all, `direct:${BOB}`).peer.id).toBe(BOB);
    expect(pickConversation(all, BOB2).peer.id).toBe(BOB2);
    expect(pickConversation(all, ` CCCC `).peer.id).toBe(QUIET);
    expect(pickConversation(all, 'direct:cccc cccc').peer.id).toBe(QUIET);
    expect(pickConversation(all, 'direct:ferry:cccc').peer.id).toBe(QUIET);
    expect(pickConversation(all, 'ferry:b0b01').peer.id).toBe(BOB);
    expect(pickConversation(all, 'b0b01').peer.id).toBe(BOB);
    // Fewer than 4 characters never match by prefix.
    expect(() => pickConversation(all, 'ccc')).toThrow(/no conversation "ccc" in this data dir/u);
    expect(() => pickConversation(all, 'dddd')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('says when a start matches more than one conversation', async () => {
    const s = await store();
    for (const [id, n] of [
      [BOB, 1],
      [BOB2, 2],
    ] as const) {
      s.peers.upsertSeen({ id, name: 'b', platform: 'linux' }, 1);
      s.messages.insert(message(id, n));
    }
    const all = await readHistory(s.db);
    expect(() => pickConversation(all, 'b0b0')).toThrow(/matches 2 conversations; give more of the id/u);
    expect(pickConversation(all, 'b0b02').peer.id).toBe(BOB2);
  });
});

describe('IP Messenger conversations', () => {
  it('are listed under their full id (an address is short already) and found by it or by the address', async () => {
    const s = await store();
    const tux = 'ipmsg:192.168.1.20';
    s.peers.upsertSeen({ id: tux, name: 'tux 企鹅', platform: 'iptux' }, 1);
    s.messages.insert(message(tux, 1));
    s.peers.upsertSeen({ id: BOB, name: 'Bob', platform: 'linux' }, 1);
    s.messages.insert(message(BOB, 2));
    const all = await readHistory(s.db);
    const list = formatList(all);
    expect(list).toContain('direct:ipmsg:192.168.1.20');
    expect(list).toContain('direct:ferry:b0b01111');
    expect(pickConversation(all, 'direct:ipmsg:192.168.1.20').peer.id).toBe(tux);
    expect(pickConversation(all, tux).peer.name).toBe('tux 企鹅');
  });
});

describe('printing history', () => {
  it('strips terminal control codes from everything a peer wrote, and marks replies and states', async () => {
    const s = await store();
    s.peers.upsertSeen({ id: BOB, name: 'Bob\u001b]0;owned\u0007\u202e', platform: 'linux' }, 1);
    s.messages.insert(message(BOB, 1, { text: 'hi\u001b[2Jthere\nsecond line' }));
    s.messages.insert(message(BOB, 2, { direction: 'out', state: 'queued', replyTo: message(BOB, 1).id }));
    s.messages.insert(message(BOB, 3, { replyTo: message(BOB, 99).id }));
    s.transfers.insert(
      transfer(BOB, 2500, {
        direction: 'in',
        state: 'failed',
        error: { code: 'HASH_MISMATCH', message: 'bad\u001b[31m data' },
      }),
    );
    const [bob] = await readHistory(s.db);
    const text = formatConversation(bob!);
    // eslint-disable-next-line no-control-regex -- control characters are what this checks
    expect(text).not.toMatch(/[\u001b\u0007\u202e]/u);
    expect(text).toContain('Conversation with Bob]0;owned (direct:');
    expect(text).toContain(': 3 messages, 1 file offers, 2 unread\n');
    expect(text).toContain('    hi[2Jthere\n    second line\n');
    expect(text).toContain('me  [queued]\n  ↪ hi[2Jthere\n    message 2\n');
    expect(text).toContain('  ↪ (a message not in this history)\n    message 3\n');
    // The file offer (t = 2.5 s) sits between message 2 (2 s) and message 3 (3 s).
    expect(text.indexOf('message 2')).toBeLessThan(text.indexOf('[file failed]'));
    expect(text.indexOf('[file failed]')).toBeLessThan(text.indexOf('message 3'));
    expect(text).toContain('[file failed]\n    photos (3.0 MiB) — HASH_MISMATCH: bad[31m data\n');
  });

  it('lines up the conversation table in terminal cells, CJK names taking two', async () => {
    const s = await store();
    s.peers.upsertSeen({ id: BOB, name: '小明', platform: 'linux' }, 1);
    s.peers.upsertSeen({ id: QUIET, name: 'Carol', platform: 'linux' }, 1);
    s.peers.markBlocked(QUIET, true, 5);
    s.peers.update(QUIET, { blocked: true });
    s.messages.insert(message(BOB, 1));
    s.messages.insert(message(QUIET, 2));
    const table = formatList(await readHistory(s.db)).split('\n');
    expect(table[0]).toBe('CONVERSATION           WITH             MESSAGES  FILES  UNREAD  LAST ACTIVITY');
    expect(table[1]).toBe('direct:ferry:cccccccc  Carol (blocked)  1         0      1       1970-01-01 00:00:02');
    expect(table[2]).toBe('direct:ferry:b0b01111  小明             1         0      1       1970-01-01 00:00:01');
  });
});

describe('historyCommand', () => {
  const fixture = path.resolve(import.meta.dirname, '../../test/fixtures/datadir-0.1.0/alice');

  it('prints the list, one conversation, or JSON of the data dir it is given', async () => {
    const dataDir = await tempDir('ferry-history-cmd-');
    await cp(fixture, dataDir, { recursive: true });
    const list = testIo();
    expect(await historyCommand(['--data-dir', dataDir], list.io)).toBe(0);
    expect(list.stdout()).toMatch(/^CONVERSATION +WITH/u);
    expect(
      list
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('direct:')),
    ).toHaveLength(3);
    const one = testIo();
    expect(await historyCommand(['--data-dir', dataDir, '--conversation', '05f30f31'], one.io)).toBe(0);
    expect(one.stdout()).toContain('Conversation with Carol (direct:ferry:05f30f31');
    expect(one.stdout()).toContain('Hi Carol 👋');
    const json = testIo();
    expect(await historyCommand(['--data-dir', dataDir, '--conversation', '05f30f31', '--json'], json.io)).toBe(0);
    const out = JSON.parse(json.stdout()) as { conversations: { messages: unknown[] }[] };
    expect(out.conversations).toHaveLength(1);
    expect(out.conversations[0]!.messages).toHaveLength(2);
    expect(json.stderr()).toBe('');
  });

  it('an empty data dir has no conversations', async () => {
    const io = testIo();
    expect(await historyCommand(['--data-dir', await tempDir('ferry-history-empty-')], io.io)).toBe(0);
    expect(io.stdout()).toBe('No conversations yet.\n');
  });
});

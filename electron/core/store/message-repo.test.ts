import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MessageDto } from '../../../shared/dto';
import { tempDir } from '../../../test/helpers/temp-dir';
import { FerryDatabase } from './database';
import { MessageRepo } from './message-repo';

const PEER = `ferry:${'a'.repeat(64)}`;
const OTHER = `ferry:${'b'.repeat(64)}`;

async function openRepo(): Promise<{ db: FerryDatabase; repo: MessageRepo }> {
  const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
  return { db, repo: new MessageRepo(db) };
}

function message(over: Partial<Omit<MessageDto, 'seq'>> = {}): Omit<MessageDto, 'seq'> {
  return {
    id: 'm1',
    conversationId: `direct:${over.peerId ?? PEER}`,
    peerId: PEER,
    direction: 'out',
    text: 'hello',
    replyTo: null,
    sentAt: 1000,
    storedAt: 2000,
    state: 'queued',
    ...over,
  };
}

describe('MessageRepo', () => {
  it('stores every field and reads it back; a re-sent (conversation, id) is stored once', async () => {
    const { db, repo } = await openRepo();
    const stored = repo.insert(
      message({
        id: 'x1',
        direction: 'in',
        text: 'hi 你好',
        replyTo: 'x0',
        sentAt: 5,
        storedAt: 7,
        state: 'delivered',
      }),
    );
    expect(stored).toEqual({
      id: 'x1',
      seq: expect.any(Number),
      conversationId: `direct:${PEER}`,
      peerId: PEER,
      direction: 'in',
      text: 'hi 你好',
      replyTo: 'x0',
      sentAt: 5,
      storedAt: 7,
      state: 'delivered',
    });
    expect(repo.get(`direct:${PEER}`, 'x1')).toEqual(stored);
    expect(repo.insert(message({ id: 'x1', direction: 'in', text: 'again' }))).toBeNull();
    expect(repo.get(`direct:${PEER}`, 'x1')?.text).toBe('hi 你好');
    // The same id in another conversation is another message.
    expect(repo.insert(message({ id: 'x1', peerId: OTHER }))?.seq).toBeGreaterThan(stored!.seq);
    expect(repo.get(`direct:${PEER}`, 'nope')).toBeUndefined();
    expect(repo.get(`direct:${OTHER}`, 'x1')?.peerId).toBe(OTHER);
    db.close();
  });

  it('counts only incoming messages as unread, with their UTF-8 size, until marked read', async () => {
    const { db, repo } = await openRepo();
    expect(repo.unreadCount(`direct:${PEER}`)).toBe(0);
    expect(repo.unreadVolume(PEER)).toEqual({ count: 0, bytes: 0 });
    repo.insert(message({ id: 'o1', direction: 'out', text: 'mine' }));
    repo.insert(message({ id: 'i1', direction: 'in', text: 'ab' }));
    repo.insert(message({ id: 'i2', direction: 'in', text: '你好' }));
    repo.insert(message({ id: 'i3', direction: 'in', peerId: OTHER, text: 'elsewhere' }));
    expect(repo.unreadCount(`direct:${PEER}`)).toBe(2);
    expect(repo.unreadVolume(PEER)).toEqual({ count: 2, bytes: 2 + 6 });
    expect(repo.markRead(`direct:${PEER}`)).toEqual([
      { id: 'i1', peerId: PEER },
      { id: 'i2', peerId: PEER },
    ]);
    expect(repo.unreadCount(`direct:${PEER}`)).toBe(0);
    expect(repo.unreadVolume(PEER)).toEqual({ count: 0, bytes: 0 });
    expect(repo.markRead(`direct:${PEER}`)).toEqual([]);
    expect(repo.unreadCount(`direct:${OTHER}`)).toBe(1);
    db.close();
  });

  it('moves only outgoing messages forward, never back nor sideways', async () => {
    const { db, repo } = await openRepo();
    repo.insert(message({ id: 'o1', state: 'queued' }));
    repo.insert(message({ id: 'i1', direction: 'in', state: 'delivered' }));
    expect(repo.advanceState(`direct:${PEER}`, 'o1', 'sent')).toMatchObject({ id: 'o1', state: 'sent', text: 'hello' });
    expect(repo.advanceState(`direct:${PEER}`, 'o1', 'sent')).toBeUndefined();
    expect(repo.advanceState(`direct:${PEER}`, 'o1', 'read')?.state).toBe('read');
    expect(repo.advanceState(`direct:${PEER}`, 'o1', 'delivered')).toBeUndefined();
    expect(repo.get(`direct:${PEER}`, 'o1')?.state).toBe('read');
    expect(repo.advanceState(`direct:${PEER}`, 'i1', 'read')).toBeUndefined();
    expect(repo.get(`direct:${PEER}`, 'i1')?.state).toBe('delivered');
    expect(repo.advanceState(`direct:${PEER}`, 'missing', 'read')).toBeUndefined();
    db.close();
  });

  it('lists unacknowledged outgoing messages oldest first', async () => {
    const { db, repo } = await openRepo();
    repo.insert(message({ id: 'q1', state: 'queued' }));
    repo.insert(message({ id: 's1', state: 'sent' }));
    repo.insert(message({ id: 'd1', state: 'delivered' }));
    repo.insert(message({ id: 'f1', state: 'failed' }));
    repo.insert(message({ id: 'i1', direction: 'in', state: 'queued' }));
    repo.insert(message({ id: 'q2', state: 'queued' }));
    repo.insert(message({ id: 'q3', peerId: OTHER, state: 'queued' }));
    expect(repo.unacked(`direct:${PEER}`).map((m) => m.id)).toEqual(['q1', 's1', 'q2']);
    expect(repo.unacked(`direct:${PEER}`)[0]).toMatchObject({ peerId: PEER, direction: 'out', text: 'hello' });
    db.close();
  });

  it('says whether a conversation still owes the peer an ack, counting only outgoing queued or sent', async () => {
    const { db, repo } = await openRepo();
    repo.insert(message({ id: 'd1', state: 'delivered' }));
    repo.insert(message({ id: 'f1', state: 'failed' }));
    repo.insert(message({ id: 'i1', direction: 'in', state: 'queued' }));
    repo.insert(message({ id: 'q3', peerId: OTHER, state: 'queued' }));
    expect(repo.hasUnacked(`direct:${PEER}`)).toBe(false);
    expect(repo.hasUnacked(`direct:${OTHER}`)).toBe(true);
    repo.insert(message({ id: 's1', state: 'sent' }));
    expect(repo.hasUnacked(`direct:${PEER}`)).toBe(true);
    repo.advanceState(`direct:${PEER}`, 's1', 'delivered');
    expect(repo.hasUnacked(`direct:${PEER}`)).toBe(false);
    repo.insert(message({ id: 'q1', state: 'queued' }));
    expect(repo.hasUnacked(`direct:${PEER}`)).toBe(true);
    db.close();
  });

  it('pages exactly: a page that ends at the first message has no more', async () => {
    const { db, repo } = await openRepo();
    for (let i = 0; i < 4; i++) repo.insert(message({ id: `m${i}`, text: `t${i}` }));
    repo.insert(message({ id: 'other', peerId: OTHER }));
    const all = repo.page(`direct:${PEER}`, undefined, 4);
    expect(all.messages.map((m) => m.text)).toEqual(['t0', 't1', 't2', 't3']);
    expect(all.hasMore).toBe(false);
    const before = repo.page(`direct:${PEER}`, all.messages[2]!.seq, 2);
    expect(before.messages.map((m) => m.text)).toEqual(['t0', 't1']);
    expect(before.hasMore).toBe(false);
    const one = repo.page(`direct:${PEER}`, all.messages[2]!.seq, 1);
    expect(one.messages.map((m) => m.text)).toEqual(['t1']);
    expect(one.hasMore).toBe(true);
    expect(repo.page(`direct:${OTHER}`, undefined, 10).messages.map((m) => m.id)).toEqual(['other']);
    db.close();
  });

  it('gives the last message of a conversation, or null', async () => {
    const { db, repo } = await openRepo();
    expect(repo.last(`direct:${PEER}`)).toBeNull();
    repo.insert(message({ id: 'm1', text: 'first' }));
    repo.insert(message({ id: 'm2', text: 'second', direction: 'in' }));
    repo.insert(message({ id: 'm3', text: 'elsewhere', peerId: OTHER }));
    expect(repo.last(`direct:${PEER}`)).toMatchObject({ id: 'm2', text: 'second', direction: 'in', peerId: PEER });
    db.close();
  });

  it('searches by phrase (case-insensitive, newest first) with marked snippets', async () => {
    const { db, repo } = await openRepo();
    repo.insert(message({ id: 'm1', text: 'Lunch at noon?' }));
    repo.insert(message({ id: 'm2', peerId: OTHER, direction: 'in', text: 'no LUNCH today' }));
    repo.insert(message({ id: 'm3', text: 'dinner' }));
    const hits = repo.search('lunch');
    expect(hits.map((h) => h.message.id)).toEqual(['m2', 'm1']);
    expect(hits[0]!.message).toMatchObject({ peerId: OTHER, direction: 'in', text: 'no LUNCH today' });
    expect(hits[0]!.snippet).toBe('no \u0001LUNCH\u0002 today');
    expect(repo.search('lunch', 1).map((h) => h.message.id)).toEqual(['m2']);
    // Exactly three characters still go through the (case-insensitive) index.
    expect(repo.search('LUN').map((h) => h.message.id)).toEqual(['m2', 'm1']);
    // A phrase, not words: quotes in the query are text.
    repo.insert(message({ id: 'q1', text: 'she said "hi" twice' }));
    expect(repo.search('said "hi"').map((h) => h.message.id)).toEqual(['q1']);
    expect(repo.search('noon dinner')).toEqual([]);
    db.close();
  });

  it('searches one or two characters (你好) by substring, case-sensitive', async () => {
    const { db, repo } = await openRepo();
    repo.insert(message({ id: 'm1', text: '你好，世界' }));
    repo.insert(message({ id: 'm2', text: 'ok OK' }));
    repo.insert(message({ id: 'm3', text: '他说你好' }));
    const hits = repo.search('你好');
    expect(hits.map((h) => h.message.id)).toEqual(['m3', 'm1']);
    expect(hits[1]!.snippet).toBe('\u0001你好\u0002，世界');
    expect(hits[1]!.message.text).toBe('你好，世界');
    expect(repo.search('OK').map((h) => [h.message.id, h.snippet])).toEqual([['m2', 'ok \u0001OK\u0002']]);
    expect(repo.search('你好', 1).map((h) => h.message.id)).toEqual(['m3']);
    db.close();
  });

  it('turns control characters into spaces and trims them; an empty query finds nothing', async () => {
    const { db, repo } = await openRepo();
    repo.insert(message({ id: 'm1', text: 'a b c' }));
    repo.insert(message({ id: 'm2', text: 'x\u007fy' }));
    expect(repo.search('')).toEqual([]);
    expect(repo.search('  \0\u001f\t ')).toEqual([]);
    expect(repo.search('\0a\u0001b\u001fc\n').map((h) => h.message.id)).toEqual(['m1']);
    expect(repo.search('\u0000b\u007f').map((h) => h.message.id)).toEqual(['m1']);
    expect(repo.search('x\u007fy')).toEqual([]);
    db.close();
  });

  it('returns at most 50 hits unless asked for more', async () => {
    const { db, repo } = await openRepo();
    db.transaction(() => {
      for (let i = 0; i < 51; i++) repo.insert(message({ id: `m${i}`, text: `note ${i}` }));
    });
    expect(repo.search('note')).toHaveLength(50);
    expect(repo.search('no')).toHaveLength(50);
    expect(repo.search('note', 60)).toHaveLength(51);
    db.close();
  });
});

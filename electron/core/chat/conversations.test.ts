/**
 * Conversation summaries come from the engine only: a message, a read, a file offer
 * each push the conversation's summary and the unread total (real nodes, real SQLite).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConversationDto } from '../../../shared/dto';
import type { FerryEvent } from '../../../shared/api';
import { tempDir } from '../../../test/helpers/temp-dir';
import { startNode, stopNode } from '../../../test/helpers/nodes';
import { pair, writeText } from '../../../test/helpers/transfer';
import { waitUntil } from '../../../test/helpers/wait';
import { FerryDatabase } from '../store/database';
import { MessageRepo } from '../store/message-repo';
import { Conversations } from './conversations';

const summaries = (events: FerryEvent[], peerId: string): ConversationDto[] =>
  events.flatMap((e) => (e.name === 'conversationUpdated' && e.payload.peerId === peerId ? [e.payload] : []));
const totals = (events: FerryEvent[]): number[] =>
  events.flatMap((e) => (e.name === 'unreadTotal' ? [e.payload.count] : []));

describe('conversation summaries', () => {
  it('counts unread messages as they arrive and clears them when read', async () => {
    const { a, b, aId, bId } = await pair();
    for (const text of ['one', 'two', '三']) await b.node.sendMessage(`direct:${aId}`, text);
    await waitUntil(() => summaries(a.events, bId).at(-1)?.unread === 3, { what: 'Alice’s summary says 3 unread' });
    const last = summaries(a.events, bId).at(-1)!;
    expect(last).toMatchObject({ id: `direct:${bId}`, kind: 'direct', peerId: bId, unread: 3 });
    expect(last.lastMessage?.text).toBe('三');
    expect(last.lastActivity).toBe(last.lastMessage!.storedAt);
    await waitUntil(() => totals(a.events).at(-1) === 3, { what: 'unread total 3' });
    // The sender has nothing unread: its own messages never count.
    await waitUntil(() => summaries(b.events, aId).at(-1)?.lastMessage?.state === 'delivered', {
      what: 'Bob’s summary shows his last message delivered',
    });
    expect(summaries(b.events, aId).every((s) => s.unread === 0)).toBe(true);
    expect(totals(b.events).every((n) => n === 0)).toBe(true);

    await a.node.markRead(`direct:${bId}`);
    await waitUntil(() => summaries(a.events, bId).at(-1)?.unread === 0, { what: 'read: 0 unread' });
    await waitUntil(() => totals(a.events).at(-1) === 0, { what: 'unread total 0' });
    expect(await a.node.listConversations()).toEqual([expect.objectContaining({ peerId: bId, unread: 0 })]);
  });

  it('counts a file offer as activity, and lists conversations by their latest activity', async () => {
    const { a, b, aId, bId } = await pair();
    const carol = await pair();
    await b.node.sendMessage(`direct:${aId}`, 'hello from Bob');
    await carol.b.node.sendMessage(`direct:${carol.aId}`, 'unrelated');
    await waitUntil(() => summaries(a.events, bId).length > 0, { what: 'a summary for Bob' });
    const before = summaries(a.events, bId).at(-1)!;

    const file = path.join(await tempDir(), 'report.txt');
    await writeText(file, 'numbers');
    const offer = await a.node.sendFiles(`direct:${bId}`, [file]);
    await waitUntil(() => (summaries(a.events, bId).at(-1)?.lastActivity ?? 0) >= offer.createdAt, {
      what: 'the offer counted as activity',
    });
    const after = summaries(a.events, bId).at(-1)!;
    expect(after.lastActivity).toBe(Math.max(offer.createdAt, before.lastMessage!.storedAt));
    expect(after.lastMessage?.text).toBe('hello from Bob');
    const list = await a.node.listConversations();
    expect(list.map((c) => c.peerId)).toEqual([bId]);
  });

  it('sends one summary per conversation for a burst of changes', async () => {
    const db = FerryDatabase.open(path.join(await tempDir(), 'ferry.db'));
    try {
      const messages = new MessageRepo(db);
      const events: FerryEvent[] = [];
      const conversations = new Conversations(db, messages, (name, payload) =>
        events.push({ name, payload } as FerryEvent),
      );
      const peer = `ferry:${'a'.repeat(64)}`;
      for (let n = 0; n < 100; n++) {
        messages.insert({
          id: crypto.randomUUID(),
          conversationId: `direct:${peer}`,
          peerId: peer,
          direction: 'in',
          text: `m${n}`,
          replyTo: null,
          sentAt: n,
          storedAt: n,
          state: 'delivered',
        });
        conversations.changed(`direct:${peer}`);
      }
      conversations.changed(`direct:ferry:${'b'.repeat(64)}`);
      expect(events).toEqual([]);
      await waitUntil(() => events.length > 0, { what: 'the summaries' });
      expect(events.map((e) => e.name)).toEqual(['conversationUpdated', 'conversationUpdated', 'unreadTotal']);
      expect(events[0]!.payload).toMatchObject({ peerId: peer, unread: 100, lastActivity: 99 });
      expect(events[1]!.payload).toMatchObject({
        peerId: `ferry:${'b'.repeat(64)}`,
        unread: 0,
        lastActivity: null,
        lastMessage: null,
      });
      expect(events[2]!.payload).toEqual({ count: 100 });
      // Closing pushes what is pending (the total did not change: no new unreadTotal)…
      conversations.changed(`direct:${peer}`);
      conversations.close();
      expect(events.map((e) => e.name)).toHaveLength(4);
      expect(events[3]).toMatchObject({ name: 'conversationUpdated', payload: { peerId: peer } });
      // …and nothing comes after it.
      conversations.changed(`direct:${peer}`);
      conversations.flush();
      expect(events).toHaveLength(4);
    } finally {
      db.close();
    }
  });
});

describe('muting a conversation', () => {
  it('is part of the summary, pushed at once, kept with the conversation; unread counts still grow', async () => {
    const { a, b, aId, bId } = await pair();
    const withBob = `direct:${bId}`;
    // Muted before anything was said: recorded all the same.
    expect(await a.node.setConversationMuted(withBob, true)).toMatchObject({ id: withBob, muted: true, unread: 0 });
    // Pushed at once (not on the next turn): a host deciding on a notification knows already.
    expect(summaries(a.events, bId).at(-1)?.muted).toBe(true);
    await b.node.sendMessage(`direct:${aId}`, 'shh');
    await waitUntil(() => summaries(a.events, bId).at(-1)?.unread === 1, { what: 'unread still counted' });
    expect(summaries(a.events, bId).at(-1)!.muted).toBe(true);
    expect(await a.node.listConversations()).toEqual([expect.objectContaining({ id: withBob, muted: true })]);
    expect(await a.node.setConversationMuted(withBob, false)).toMatchObject({ muted: false, unread: 1 });
    expect((await a.node.listConversations())[0]!.muted).toBe(false);
  });
});

describe('drafts', () => {
  it('are kept per conversation across a restart, cleared by an empty one, and only for known peers', async () => {
    const { a, bId } = await pair();
    const conversation = `direct:${bId}`;
    expect(await a.node.getDraft(conversation)).toBe('');
    await a.node.setDraft(conversation, '写了一半的消息\nsecond line');
    const { dataDir } = a;
    await stopNode(a);
    const again = await startNode('Alice again', { dataDir });
    expect(await again.node.getDraft(conversation)).toBe('写了一半的消息\nsecond line');
    await again.node.setDraft(conversation, '');
    expect(await again.node.getDraft(conversation)).toBe('');
    // A draft alone is not activity: the conversation list does not grow from it.
    expect((await again.node.listConversations()).map((c) => c.id)).toEqual([]);
    await expect(again.node.getDraft(`direct:ferry:${'9'.repeat(64)}`)).rejects.toMatchObject({ code: 'PEER_UNKNOWN' });
  });
});

describe('searching file names', () => {
  it('finds a file by name on both sides, with the transfer it came in', async () => {
    const { a, b, aId, bId } = await pair();
    const file = path.join(await tempDir(), 'Budget 2027.xlsx');
    await writeText(file, 'numbers');
    const out = await a.node.sendFiles(`direct:${bId}`, [file]);
    await b.waitFor('transferUpdated', (t) => t.id === out.id && t.state === 'offered');
    expect(await a.node.searchFiles('budget')).toEqual([
      {
        transfer: expect.objectContaining({ id: out.id, direction: 'out', peerId: bId }),
        path: 'Budget 2027.xlsx',
        isDir: false,
      },
    ]);
    expect(await b.node.searchFiles('BUDGET 2027')).toEqual([
      {
        transfer: expect.objectContaining({ id: out.id, direction: 'in', peerId: aId }),
        path: 'Budget 2027.xlsx',
        isDir: false,
      },
    ]);
    expect(await b.node.searchFiles('nothing like it')).toEqual([]);
  });
});

describe('delete for me', () => {
  it('removes a message here (history, search, summary), not at the peer, and says so', async () => {
    const { a, b, aId, bId } = await pair();
    const first = await b.node.sendMessage(`direct:${aId}`, 'keep this one');
    const second = await b.node.sendMessage(`direct:${aId}`, 'delete this embarrassing typo');
    await a.waitFor('messageAdded', (m) => m.id === second.id);
    await a.node.deleteMessage(`direct:${bId}`, second.id);
    expect(a.events.some((e) => e.name === 'messageRemoved' && e.payload.id === second.id)).toBe(true);
    expect((await a.node.listMessages(`direct:${bId}`)).messages.map((m) => m.id)).toEqual([first.id]);
    expect(await a.node.searchMessages('embarrassing')).toEqual([]);
    await waitUntil(() => summaries(a.events, bId).at(-1)?.lastMessage?.id === first.id, {
      what: 'the summary falls back to the message before',
    });
    // The peer still has both.
    expect((await b.node.listMessages(`direct:${aId}`)).messages).toHaveLength(2);
    await expect(a.node.deleteMessage(`direct:${bId}`, second.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

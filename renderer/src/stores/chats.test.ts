import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { setHost } from '../client/host';
import { BOB, fakeHost, message } from '../testing/fake-host';
import { useChatsStore } from './chats';

describe('chats store: a message deleted here', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
  });

  it('leaves the loaded conversation, and stops being what the composer replies to', async () => {
    const conversationId = `direct:${BOB}`;
    const keep = message({ id: '00000000-0000-4000-8000-000000000001', seq: 1 });
    const gone = message({ id: '00000000-0000-4000-8000-000000000002', seq: 2 });
    setHost(fakeHost({ listMessages: async () => ({ messages: [keep, gone], hasMore: false }) }));
    const chats = useChatsStore();
    await chats.open(conversationId);
    chats.conversation(conversationId).replyingTo = gone;
    chats.applyEvent({ name: 'messageRemoved', payload: { conversationId, id: gone.id } });
    expect(chats.conversation(conversationId).messages.map((m) => m.id)).toEqual([keep.id]);
    expect(chats.conversation(conversationId).replyingTo).toBeNull();
  });

  it('a recalled message stops being what the composer replies to, and shows as recalled', async () => {
    const conversationId = `direct:${BOB}`;
    const m = message({ id: '00000000-0000-4000-8000-000000000003', seq: 3, text: 'soon gone' });
    setHost(fakeHost({ listMessages: async () => ({ messages: [m], hasMore: false }) }));
    const chats = useChatsStore();
    await chats.open(conversationId);
    chats.conversation(conversationId).replyingTo = m;
    chats.applyEvent({ name: 'messageUpdated', payload: { ...m, text: '', recalledAt: 5 } });
    expect(chats.conversation(conversationId).messages).toMatchObject([{ id: m.id, text: '', recalledAt: 5 }]);
    expect(chats.conversation(conversationId).replyingTo).toBeNull();
  });
});

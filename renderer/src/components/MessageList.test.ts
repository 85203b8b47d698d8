import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { MessageDto } from '../../../shared/dto';
import { BOB, fakeHost, message } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import { useChatsStore } from '../stores/chats';
import MessageList from './MessageList.vue';

/** Bob's direct conversation. */
const DM = `direct:${BOB}`;

/** A long history served in pages like the engine does (newest first, `before` a seq). */
function historyHost(total: number) {
  const all: MessageDto[] = Array.from({ length: total }, (_, i) =>
    message({
      seq: i + 1,
      text: `m${i + 1}`,
      direction: i % 2 ? 'in' : 'out',
      storedAt: Date.now() - (total - i) * 1000,
    }),
  );
  const listMessages = vi.fn(async (_peer: string, o?: { before?: number; limit?: number }) => {
    const before = o?.before ?? Infinity;
    const older = all.filter((m) => m.seq < before);
    const page = older.slice(-(o?.limit ?? 50));
    return { messages: page, hasMore: older.length > page.length };
  });
  return Object.assign(fakeHost({ listMessages }), { listMessages });
}

describe('MessageList', () => {
  it('renders only a window of rows however many messages are loaded', async () => {
    const host = historyHost(5000);
    const { wrapper, pinia } = mountWith(MessageList, { props: { conversationId: DM }, host });
    const chats = useChatsStore(pinia);
    await chats.open(DM);
    for (let i = 0; i < 30; i++) await chats.loadOlder(DM);
    await flushPromises();
    expect(chats.conversation(DM).messages).toHaveLength(1550);
    const rendered = wrapper.findAll('.timeline-row').length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(40);
  });

  it('scrolling near the top loads the page before the oldest loaded message', async () => {
    const host = historyHost(120);
    const { wrapper, pinia } = mountWith(MessageList, { props: { conversationId: DM }, host });
    const chats = useChatsStore(pinia);
    await chats.open(DM);
    await flushPromises();
    const oldest = chats.conversation(DM).messages[0]!.seq;
    expect(oldest).toBe(71);
    const scroller = wrapper.get('.message-scroller');
    (scroller.element as HTMLElement).scrollTop = 0;
    await scroller.trigger('scroll');
    await flushPromises();
    expect(host.listMessages).toHaveBeenLastCalledWith(DM, { before: 71, limit: 50 });
    expect(chats.conversation(DM).messages[0]!.seq).toBe(21);
    // …and stops asking once the beginning is reached.
    await scroller.trigger('scroll');
    await flushPromises();
    await scroller.trigger('scroll');
    await flushPromises();
    expect(chats.conversation(DM).hasMore).toBe(false);
    const calls = host.listMessages.mock.calls.length;
    await scroller.trigger('scroll');
    await flushPromises();
    expect(host.listMessages.mock.calls.length).toBe(calls);
    expect(wrapper.text()).toContain('This is the beginning of your conversation.');
  });

  it('groups by day with a separator and shows delivery ticks on our messages', async () => {
    const day = 24 * 3600 * 1000;
    const now = Date.now();
    const msgs = [
      message({ seq: 1, storedAt: now - 3 * day, direction: 'in', text: 'old' }),
      message({ seq: 2, storedAt: now - 1000, sentAt: now - 1000, direction: 'out', state: 'read', text: 'new' }),
    ];
    const host = fakeHost({ listMessages: vi.fn(async () => ({ messages: msgs, hasMore: false })) });
    const { wrapper, pinia } = mountWith(MessageList, { props: { conversationId: DM }, host });
    await useChatsStore(pinia).open(DM);
    await flushPromises();
    const separators = wrapper.findAll('.day-separator').map((d) => d.text());
    expect(separators).toHaveLength(2);
    expect(separators[1]).toBe('Today');
    expect(wrapper.get(`[data-message-id="${msgs[1]!.id}"] .tick`).attributes('aria-label')).toBe('Read');
    expect(wrapper.find(`[data-message-id="${msgs[0]!.id}"] .tick`).exists()).toBe(false);
  });

  it('shows a load failure where the history would be', async () => {
    const host = fakeHost({
      listMessages: vi.fn(async () => Promise.reject(Object.assign(new Error('x'), { code: 'PEER_UNKNOWN' }))),
    });
    const { wrapper, pinia } = mountWith(MessageList, { props: { conversationId: DM }, host });
    await useChatsStore(pinia).open(DM);
    await flushPromises();
    expect(wrapper.get('[role="alert"]').text()).toBe('Ferry doesn’t know this device. Add it by address first.');
  });
});

describe('MessageList jumping to a search hit', () => {
  it('loads older pages until the message is there, then shows it highlighted', async () => {
    const host = historyHost(300);
    const { wrapper, pinia } = mountWith(MessageList, { props: { conversationId: DM }, host });
    const chats = useChatsStore(pinia);
    const all = (await host.listMessages(DM, { limit: 500 })).messages;
    const target = all.find((m) => m.seq === 40)!;
    chats.focus = { conversationId: DM, messageId: target.id };
    await vi.waitFor(() => expect(wrapper.find('.timeline-row.highlighted').exists()).toBe(true), { timeout: 10_000 });
    expect(wrapper.get('.timeline-row.highlighted').text()).toContain('m40');
    expect(chats.conversation(DM).messages[0]!.seq).toBeLessThanOrEqual(40);
    expect(chats.conversation(DM).messages[0]!.seq).toBeGreaterThan(0);
    expect(chats.focus).toBeNull();
  });
});

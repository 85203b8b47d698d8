import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { useChatsStore } from '../stores/chats';
import { usePeersStore } from '../stores/peers';
import { BOB, fakeHost, message, peer, transfer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import MessageSearchResults from './MessageSearchResults.vue';

describe('MessageSearchResults', () => {
  it('lists hits with the match marked (as text, never HTML) and opens the conversation at the message', async () => {
    const m = message({ text: 'the <b>budget</b> is final' });
    const host = fakeHost({ searchMessages: vi.fn(async () => [{ message: m, snippet: 'x' }]) });
    const { wrapper, pinia } = mountWith(MessageSearchResults, {
      host,
      initialState: { peers: { byId: { [BOB]: peer() } } },
    });
    const chats = useChatsStore(pinia);
    await chats.search('budget');
    await flushPromises();
    const hit = wrapper.get('.search-hit');
    expect(hit.get('.peer-name').text()).toBe('Bob');
    expect(hit.get('mark').text()).toBe('budget');
    expect(hit.get('.search-snippet').text()).toBe('the <b>budget</b> is final');
    expect(hit.find('b').exists()).toBe(false);
    await hit.trigger('click');
    expect(usePeersStore(pinia).selectedId).toBe(BOB);
    expect(chats.focus).toEqual({ conversationId: `direct:${BOB}`, messageId: m.id });
  });

  it('says when nothing matched, and shows search failures in place', async () => {
    const { wrapper, pinia } = mountWith(MessageSearchResults);
    await useChatsStore(pinia).search('nothing');
    await flushPromises();
    expect(wrapper.text()).toContain('No messages found');

    const failing = mountWith(MessageSearchResults, {
      host: fakeHost({ searchMessages: vi.fn(async () => Promise.reject(new Error('INTERNAL: db locked'))) }),
    });
    await useChatsStore(failing.pinia).search('x');
    await flushPromises();
    expect(failing.wrapper.get('[role="alert"]').attributes('data-code')).toBe('INTERNAL');
  });
});

describe('MessageSearchResults: files', () => {
  it('lists files and folders whose name matched, who they were with, and opens that conversation', async () => {
    const host = fakeHost({
      searchFiles: vi.fn(async () => [
        { transfer: transfer({ peerId: BOB, direction: 'in' }), path: 'photos/Budget 2027.xlsx', isDir: false },
        { transfer: transfer({ peerId: BOB, direction: 'out' }), path: 'budget-archive', isDir: true },
      ]),
    });
    const { wrapper, pinia } = mountWith(MessageSearchResults, {
      host,
      initialState: { peers: { byId: { [BOB]: peer() } } },
      locale: 'zh-CN',
    });
    await useChatsStore(pinia).search('budget');
    await flushPromises();
    const items = wrapper.findAll('.file-hits .search-hit');
    expect(items.map((i) => i.get('.peer-name').text())).toEqual(['Budget 2027.xlsx', 'budget-archive']);
    expect(items.map((i) => i.get('mark').text())).toEqual(['Budget', 'budget']);
    expect(items.map((i) => i.get('.search-snippet').text())).toEqual(['来自 Bob', '发给 Bob']);
    expect(wrapper.text()).toContain('文件');
    await items[0]!.trigger('click');
    expect(usePeersStore(pinia).selectedId).toBe(BOB);
  });
});

import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { BOB, CAROL, conversation, fakeHost, message, peer, transfer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import { useConversationsStore } from '../stores/conversations';
import { usePeersStore } from '../stores/peers';
import { useTransfersStore } from '../stores/transfers';
import PeerList from './PeerList.vue';

describe('PeerList', () => {
  it('says what to do when nobody is known yet, and offers to add by address', async () => {
    const { wrapper, pinia } = mountWith(PeerList);
    await usePeersStore(pinia).load();
    await flushPromises();
    expect(wrapper.get('.empty-title').text()).toBe('No one here yet');
    expect(wrapper.text()).toContain(
      'Make sure the other computer runs Ferry on the same network, or add it by address.',
    );
    await wrapper.get('button').trigger('click');
    expect(wrapper.emitted('add')).toHaveLength(1);
  });

  it('lists peers newest conversation first with last line, unread badge, online and verified state', async () => {
    const now = Date.now();
    const host = fakeHost({
      listPeers: vi.fn(async () => [
        peer({ id: BOB, name: 'Bob', lastSeen: now - 60_000 }),
        peer({ id: CAROL, name: 'Carol', online: false, verified: true }),
      ]),
      // The engine's summaries: the only source of unread counts and last lines.
      listConversations: vi.fn(async () => [
        conversation(CAROL, {
          unread: 3,
          lastActivity: now,
          lastMessage: message({ peerId: CAROL, text: 'see you', direction: 'out', storedAt: now }),
        }),
        conversation(BOB, {
          lastActivity: now - 60_000,
          lastMessage: message({ text: 'old news', storedAt: now - 60_000 }),
        }),
      ]),
    });
    const { wrapper, pinia } = mountWith(PeerList, { host });
    const peers = usePeersStore(pinia);
    await Promise.all([peers.load(), useConversationsStore(pinia).load()]);
    await flushPromises();
    const items = wrapper.findAll('.peer-item');
    expect(items.map((i) => i.get('.peer-name').text())).toEqual(['Carol', 'Bob']);
    expect(items[0]!.get('.peer-last').text()).toBe('You: see you');
    expect(items[0]!.get('.unread-badge').text()).toBe('3');
    expect(items[0]!.attributes('aria-label')).toBe('Carol, Offline, Verified, 3 unread messages');
    expect(items[0]!.find('.verified-badge').exists()).toBe(true);
    expect(items[1]!.get('.presence').classes()).toContain('online');

    await items[1]!.trigger('click');
    expect(peers.selectedId).toBe(BOB);
    await flushPromises();
    expect(wrapper.get('[aria-current="true"]').get('.peer-name').text()).toBe('Bob');

    peers.filter = 'car';
    await flushPromises();
    expect(wrapper.findAll('.peer-item').map((i) => i.get('.peer-name').text())).toEqual(['Carol']);
    peers.filter = 'zzz';
    await flushPromises();
    expect(wrapper.text()).toContain('No one by that name');
  });

  it('marks an IP Messenger (FeiQ / iptux) peer as such, unencrypted, for sight and for screen readers', async () => {
    const host = fakeHost({
      listPeers: vi.fn(async () => [
        peer({ id: BOB, name: 'Bob' }),
        peer({ id: 'ipmsg:192.168.1.20', name: 'tux 企鹅', protocol: 'ipmsg', platform: 'iptux' }),
      ]),
    });
    const { wrapper, pinia } = mountWith(PeerList, { host });
    await usePeersStore(pinia).load();
    await flushPromises();
    const tux = wrapper.get('[data-peer-id="ipmsg:192.168.1.20"]');
    expect(tux.get('.protocol-badge').text()).toBe('IPMsg');
    expect(tux.attributes('aria-label')).toContain('IP Messenger · unencrypted');
    expect(wrapper.get(`[data-peer-id="${BOB}"]`).find('.protocol-badge').exists()).toBe(false);
  });

  it('shows a file as the last line and time when it is the newest activity, and orders by it', async () => {
    const now = Date.now();
    const host = fakeHost({
      listPeers: vi.fn(async () => [
        peer({ id: BOB, name: 'Bob', lastSeen: now - 3 * 86_400_000 }),
        peer({ id: CAROL, name: 'Carol', lastSeen: now - 86_400_000 * 2 }),
      ]),
      // Bob's last activity is the file offer a minute ago (the engine counts offers).
      listConversations: vi.fn(async () => [
        conversation(BOB, {
          lastActivity: now - 60_000,
          lastMessage: message({ text: 'hi', storedAt: now - 3 * 86_400_000 }),
        }),
        conversation(CAROL, {
          lastActivity: now - 86_400_000 * 2,
          lastMessage: message({ peerId: CAROL, text: 'lunch?', storedAt: now - 86_400_000 * 2 }),
        }),
      ]),
      listTransfers: vi.fn(async () => [
        transfer({ peerId: BOB, direction: 'in', createdAt: now - 60_000 }),
        transfer({
          peerId: CAROL,
          direction: 'out',
          createdAt: now - 86_400_000 * 5,
          files: [],
          fileCount: 3,
        }),
      ]),
    });
    const { wrapper, pinia } = mountWith(PeerList, { host });
    await Promise.all([
      usePeersStore(pinia).load(),
      useConversationsStore(pinia).load(),
      useTransfersStore(pinia).load(),
    ]);
    await flushPromises();
    const items = wrapper.findAll('.peer-item');
    // Bob's file (a minute ago) is newer than Carol's message: Bob first, with the file as his line.
    expect(items.map((i) => i.get('.peer-name').text())).toEqual(['Bob', 'Carol']);
    expect(items[0]!.get('.peer-last').text()).toBe('Sent you report.pdf');
    expect(items[0]!.get('.peer-time').text()).toMatch(/^\d{1,2}:\d{2}/);
    // Carol's file is older than her last message: the message stays.
    expect(items[1]!.get('.peer-last').text()).toBe('lunch?');

    // A new offer to Carol: the transfer arrives, and the engine's summary moves her conversation up.
    useTransfersStore(pinia).put(
      transfer({ peerId: CAROL, direction: 'out', createdAt: now, files: [], fileCount: 3 }),
    );
    useConversationsStore(pinia).applyEvent({
      name: 'conversationUpdated',
      payload: conversation(CAROL, {
        lastActivity: now,
        lastMessage: message({ peerId: CAROL, text: 'lunch?', storedAt: now - 86_400_000 * 2 }),
      }),
    });
    await flushPromises();
    const after = wrapper.findAll('.peer-item');
    expect(after.map((i) => i.get('.peer-name').text())).toEqual(['Carol', 'Bob']);
    expect(after[0]!.get('.peer-last').text()).toBe('You sent 3 files');
  });
});

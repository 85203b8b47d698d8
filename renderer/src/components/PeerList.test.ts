import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { BOB, CAROL, fakeHost, message, peer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import { usePeersStore } from '../stores/peers';
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
        peer({
          id: BOB,
          name: 'Bob',
          lastSeen: now - 60_000,
          lastMessage: message({ text: 'old news', storedAt: now - 60_000 }),
        }),
        peer({
          id: CAROL,
          name: 'Carol',
          online: false,
          verified: true,
          unread: 3,
          lastMessage: message({ peerId: CAROL, text: 'see you', direction: 'out', storedAt: now }),
        }),
      ]),
    });
    const { wrapper, pinia } = mountWith(PeerList, { host });
    const peers = usePeersStore(pinia);
    await peers.load();
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
});

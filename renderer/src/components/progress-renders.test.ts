/**
 * A progress tick re-renders that transfer's card and nothing else: not the other cards,
 * not the transfers panel's list, not the conversation's timeline (counted with an
 * `updated` hook on every component).
 */
import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { nextTick, type ComponentPublicInstance } from 'vue';
import { useChatsStore } from '../stores/chats';
import { useTransfersStore } from '../stores/transfers';
import { wireEvents } from '../client/wire-events';
import { BOB, fakeHost, transfer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import TransfersPanel from './TransfersPanel.vue';
import MessageList from './MessageList.vue';

/** Counts re-renders per component (FileCards by their transfer's id). */
function renderCounter() {
  const counts = new Map<string, number>();
  const mixin = {
    updated(this: ComponentPublicInstance) {
      const name = this.$options.__name ?? this.$options.name ?? '?';
      const id = (this.$props as { transfer?: { id: string } }).transfer?.id;
      const key = id ? `${name}:${id}` : name;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  };
  return { mixin, counts, of: (key: string) => counts.get(key) ?? 0 };
}

const progress = (id: string, bytesDone: number) => ({
  name: 'transferProgress' as const,
  payload: {
    id,
    bytesDone,
    totalBytes: 2_000_000,
    speed: 250_000,
    etaSeconds: 4,
    fileIndex: 0,
    fileBytesDone: bytesDone,
  },
});

describe('progress ticks', () => {
  it('update only their own card in the transfers panel', async () => {
    const a = transfer({ state: 'active', direction: 'out', createdAt: 1000 });
    const b = transfer({ state: 'active', direction: 'out', createdAt: 2000 });
    const host = fakeHost({ listTransfers: async () => [a, b] });
    const counter = renderCounter();
    const { wrapper } = mountWith(TransfersPanel, { host, global: { mixins: [counter.mixin] } });
    wireEvents(host, () => true);
    await flushPromises();
    expect(wrapper.findAll('.file-card')).toHaveLength(2);
    counter.counts.clear();

    host.emit(progress(a.id, 1_000_000));
    await nextTick();
    const cards = wrapper.findAll('.file-card');
    const cardOf = (id: string) => cards[useTransfersStore().all.findIndex((t) => t.id === id)]!;
    expect(cardOf(a.id).get('.file-detail').text()).toBe('977 KB / 1.9 MB · 244 KB/s · 0:04 left');
    expect(cardOf(b.id).get('.file-detail').text()).toBe('0 B / 1.9 MB');
    expect(counter.of(`FileCard:${a.id}`)).toBeGreaterThan(0);
    expect(counter.of(`FileCard:${b.id}`)).toBe(0);
    expect(counter.of('TransfersPanel')).toBe(0);

    // A state change is a real change: the list updates (and may re-sort).
    host.emit({ name: 'transferUpdated', payload: { ...b, state: 'done', bytesDone: 2_000_000 } });
    await nextTick();
    expect(counter.of('TransfersPanel')).toBeGreaterThan(0);
  });

  it('leave the conversation timeline alone', async () => {
    const a = transfer({ state: 'active', direction: 'out', peerId: BOB });
    const host = fakeHost({ listTransfers: async () => [a] });
    const counter = renderCounter();
    const { wrapper, pinia } = mountWith(MessageList, {
      props: { conversationId: `direct:${BOB}` },
      host,
      global: { mixins: [counter.mixin] },
    });
    wireEvents(host, () => true);
    await useChatsStore(pinia).open(`direct:${BOB}`);
    await useTransfersStore(pinia).load(`direct:${BOB}`);
    await flushPromises();
    expect(wrapper.findAll('.file-card')).toHaveLength(1);
    counter.counts.clear();

    for (let n = 1; n <= 5; n++) {
      host.emit(progress(a.id, n * 100_000));
      await nextTick();
    }
    expect(wrapper.get('.file-detail').text()).toContain('488 KB / 1.9 MB');
    expect(counter.of(`FileCard:${a.id}`)).toBe(5);
    expect(counter.of('MessageList')).toBe(0);
  });
});

import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { BOB, message, peer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import ForwardDialog from './ForwardDialog.vue';

const CAROL = `ferry:${'c'.repeat(64)}`;
const DAVE = `ferry:${'d'.repeat(64)}`;
const peers = {
  peers: {
    byId: {
      // Seen at the same moment, so the list is in name order (fixture times come from the clock).
      [BOB]: peer({ id: BOB, name: 'Bob', lastSeen: 1_000 }),
      [CAROL]: peer({ id: CAROL, name: 'Carol', lastSeen: 1_000 }),
      [DAVE]: peer({ id: DAVE, name: 'Dave', blocked: true, lastSeen: 1_000 }),
    },
  },
};

describe('ForwardDialog', () => {
  it('sends the text to each chosen conversation as its own message, then closes', async () => {
    const m = message({ text: 'meeting moved to 3 pm' });
    const { wrapper, host } = mountWith(ForwardDialog, { props: { message: m }, initialState: peers });
    await flushPromises();
    // A blocked peer is not offered.
    expect(wrapper.findAll('.forward-item').map((i) => i.text())).toEqual(
      ['Bob', 'Carol'].map((n) => expect.stringContaining(n)),
    );
    expect(wrapper.find(`[data-peer-id="${DAVE}"]`).exists()).toBe(false);
    expect(wrapper.get('.forward-send').attributes('disabled')).toBeDefined();
    await wrapper.get(`[data-peer-id="${BOB}"] input`).setValue(true);
    await wrapper.get(`[data-peer-id="${CAROL}"] input`).setValue(true);
    expect(wrapper.get('.forward-send').text()).toBe('Send to 2');
    await wrapper.get('.forward-send').trigger('click');
    await flushPromises();
    expect(host.sendMessage).toHaveBeenCalledTimes(2);
    expect(host.sendMessage).toHaveBeenCalledWith(`direct:${BOB}`, 'meeting moved to 3 pm');
    expect(host.sendMessage).toHaveBeenCalledWith(`direct:${CAROL}`, 'meeting moved to 3 pm');
    expect(wrapper.emitted('close')).toHaveLength(1);
  });

  it('filters by the search box; arrows move, Space picks, Enter sends; Esc closes', async () => {
    const m = message({ text: 'hi all' });
    const { wrapper, host } = mountWith(ForwardDialog, { props: { message: m }, initialState: peers });
    await flushPromises();
    await wrapper.get('.forward-search').setValue('car');
    expect(wrapper.findAll('.forward-item')).toHaveLength(1);
    await wrapper.get('.forward-search').setValue('');
    await wrapper.get('.forward-search').trigger('keydown', { key: 'ArrowDown' });
    expect(document.activeElement).toBe(wrapper.get(`[data-peer-id="${BOB}"] input`).element);
    await wrapper.get('.forward-list').trigger('keydown', { key: 'ArrowDown' });
    const carol = wrapper.get(`[data-peer-id="${CAROL}"] input`);
    expect(document.activeElement).toBe(carol.element);
    // Space on a focused checkbox is the browser's own toggle; jsdom fires it as a click.
    await carol.trigger('click');
    await carol.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(host.sendMessage).toHaveBeenCalledExactlyOnceWith(`direct:${CAROL}`, 'hi all');
    await wrapper.get('.forward-search').trigger('keydown', { key: 'Escape' });
    expect(wrapper.emitted('close')!.length).toBeGreaterThanOrEqual(1);
  });
});

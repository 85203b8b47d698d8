import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { BOB, conversation, fakeHost, peer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import ConversationView from './ConversationView.vue';

function drag(type: string, files: File[]) {
  const items = files.map((f) => ({ kind: 'file', webkitGetAsEntry: () => ({ isDirectory: false, name: f.name }) }));
  return new (class extends Event {
    dataTransfer = { types: ['Files'], files, items, dropEffect: 'none' };
  })(type, { bubbles: true, cancelable: true });
}

describe('ConversationView', () => {
  it('shows a drop target while files are dragged over it and sends them on drop', async () => {
    const getPathForFile = vi.fn((f: File) => `/home/alice/${f.name}`);
    const host = fakeHost({ getPathForFile });
    const { wrapper } = mountWith(ConversationView, { props: { peer: peer() }, host });
    await flushPromises();
    const section = wrapper.get('section.conversation').element;
    const file = new File(['x'], 'plan.txt');
    section.dispatchEvent(drag('dragenter', [file]));
    await flushPromises();
    expect(wrapper.get('.drop-overlay').text()).toContain('Drop to send to Bob');
    section.dispatchEvent(drag('drop', [file]));
    await flushPromises();
    expect(wrapper.find('.drop-overlay').exists()).toBe(false);
    expect(host.sendFiles).toHaveBeenCalledWith(`direct:${BOB}`, ['/home/alice/plan.txt']);
  });

  it('ignores drags that carry no files', async () => {
    const { wrapper } = mountWith(ConversationView, { props: { peer: peer() } });
    const e = new (class extends Event {
      dataTransfer = { types: ['text/plain'], files: [], items: [] };
    })('dragenter', { bubbles: true });
    wrapper.get('section.conversation').element.dispatchEvent(e);
    await flushPromises();
    expect(wrapper.find('.drop-overlay').exists()).toBe(false);
  });

  it('opening a conversation with unread messages marks it read; the header says who and whether verified', async () => {
    const host = fakeHost();
    const { wrapper } = mountWith(ConversationView, {
      props: { peer: peer({ verified: true }) },
      host,
      initialState: {
        peers: { byId: { [BOB]: peer() } },
        conversations: { byId: { [`direct:${BOB}`]: conversation(BOB, { unread: 2 }) } },
      },
    });
    await flushPromises();
    expect(host.markRead).toHaveBeenCalledWith(`direct:${BOB}`);
    expect(wrapper.get('h1').text()).toContain('Bob');
    expect(wrapper.get('.verified-pill').text()).toBe('Verified');
    expect(wrapper.get('.conversation-status').text()).toBe('Online · 192.168.1.20:47820');
  });

  it('warns when the peer’s certificate changed', () => {
    const { wrapper } = mountWith(ConversationView, { props: { peer: peer({ certChanged: true }) } });
    expect(wrapper.get('.banner.danger').text()).toContain('different security certificate');
  });
});

describe('ConversationView header', () => {
  it('offers verification only for a device that can be verified', async () => {
    const verifiable = mountWith(ConversationView, { props: { peer: peer() } });
    await flushPromises();
    expect(verifiable.wrapper.find('.conversation-header button.button.small').text()).toContain('Verify');
    const base = peer();
    const not = mountWith(ConversationView, {
      props: { peer: peer({ capabilities: { ...base.capabilities, verifiable: false } }) },
    });
    await flushPromises();
    expect(not.wrapper.find('.conversation-header button.button.small').exists()).toBe(false);
  });
});

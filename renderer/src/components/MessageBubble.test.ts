import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RequestError } from '../client/request-error';
import { fakeHost, message, peer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import MessageBubble from './MessageBubble.vue';

describe('MessageBubble links', () => {
  it('makes http(s) links clickable (new window, no opener) and leaves the text exactly as written', async () => {
    const text = '文档：https://example.com/spec?v=2，\n and file:///etc/passwd stays text';
    const { wrapper } = mountWith(MessageBubble, { props: { message: message({ text }) } });
    await flushPromises();
    const links = wrapper.findAll('a');
    expect(links).toHaveLength(1);
    expect(links[0]!.attributes()).toMatchObject({
      href: 'https://example.com/spec?v=2',
      target: '_blank',
      rel: 'noopener noreferrer',
    });
    expect(wrapper.get('.bubble-text').element.textContent).toBe(text);
  });

  it('a message without links has no anchor', async () => {
    const { wrapper } = mountWith(MessageBubble, { props: { message: message({ text: 'javascript:alert(1)' }) } });
    await flushPromises();
    expect(wrapper.find('a').exists()).toBe(false);
    expect(wrapper.get('.bubble-text').element.textContent).toBe('javascript:alert(1)');
  });
});

describe('MessageBubble replies', () => {
  it('shows what a reply quotes (author and start), and asks to jump there when clicked', async () => {
    const original = message({ id: '00000000-0000-4000-8000-000000000001', text: 'Are we\nstill on for 3 pm?' });
    const reply = message({ direction: 'out', text: 'Yes!', replyTo: original.id });
    const { wrapper } = mountWith(MessageBubble, { props: { message: reply, quoted: original, peerName: 'Bob' } });
    await flushPromises();
    expect(wrapper.get('.bubble-quote-author').text()).toBe('Bob');
    expect(wrapper.get('.bubble-quote-text').text()).toBe('Are we still on for 3 pm?');
    await wrapper.get('.bubble-quote').trigger('click');
    expect(wrapper.emitted('jump')).toEqual([[original.id]]);
  });

  it('a quoted message not loaded yet is "an earlier message"; one of ours is "You"', async () => {
    const missing = mountWith(MessageBubble, {
      props: { message: message({ replyTo: '00000000-0000-4000-8000-000000000009' }), quoted: 'missing' },
      locale: 'zh-CN',
    });
    await flushPromises();
    expect(missing.wrapper.get('.bubble-quote').text()).toBe('较早的一条消息');
    const mine = message({ direction: 'out', text: 'my words' });
    const ours = mountWith(MessageBubble, { props: { message: message({ replyTo: mine.id }), quoted: mine } });
    await flushPromises();
    expect(ours.wrapper.get('.bubble-quote-author').text()).toBe('You');
  });

  it('a message that replies to nothing has no quote; its Reply button offers it for a reply', async () => {
    const m = message({ text: 'plain' });
    const { wrapper } = mountWith(MessageBubble, { props: { message: m, quoted: null } });
    await flushPromises();
    expect(wrapper.find('.bubble-quote').exists()).toBe(false);
    await wrapper.get('button[aria-label="Reply"]').trigger('click');
    expect(wrapper.emitted('reply')).toEqual([[m]]);
  });
});

describe('MessageBubble delete for me', () => {
  it('asks once more before deleting, then has the engine delete it here', async () => {
    const m = message({ text: 'oops' });
    const { wrapper, host } = mountWith(MessageBubble, { props: { message: m } });
    await flushPromises();
    const button = wrapper.get('.delete-action');
    expect(button.attributes('aria-label')).toBe('Delete for me');
    await button.trigger('click');
    expect(host.deleteMessage).not.toHaveBeenCalled();
    expect(button.attributes('aria-label')).toBe('Click again to delete it here (the other side keeps its copy)');
    await button.trigger('click');
    await flushPromises();
    expect(host.deleteMessage).toHaveBeenCalledWith(m.conversationId, m.id);
  });

  it('moving away disarms it', async () => {
    const { wrapper, host } = mountWith(MessageBubble, { props: { message: message() } });
    const button = wrapper.get('.delete-action');
    await button.trigger('click');
    await button.trigger('blur');
    await button.trigger('click');
    expect(host.deleteMessage).not.toHaveBeenCalled();
  });
});

describe('MessageBubble recall', () => {
  const ferry = peer();
  const ipmsg = peer({
    id: 'ipmsg:192.168.1.20',
    protocol: 'ipmsg',
    capabilities: { ...ferry.capabilities, recall: false },
  });
  const peersState = { peers: { byId: { [ferry.id]: ferry, [ipmsg.id]: ipmsg } } };

  it('offers Recall on our own fresh message to a Ferry peer, and asks the engine to recall it', async () => {
    const m = message({ direction: 'out', text: 'typo', storedAt: Date.now() - 60_000 });
    const { wrapper, host } = mountWith(MessageBubble, { props: { message: m }, initialState: peersState });
    await flushPromises();
    const button = wrapper.get('.recall-action');
    expect(button.attributes('aria-label')).toBe('Recall (within 2 minutes, on both sides)');
    await button.trigger('click');
    await flushPromises();
    expect(host.recallMessage).toHaveBeenCalledWith(m.conversationId, m.id);
  });

  it.each([
    ['older than 2 minutes', message({ direction: 'out', storedAt: Date.now() - 2 * 60_000 - 1 })],
    ['not ours', message({ direction: 'in' })],
    ['to an IP Messenger peer', message({ direction: 'out', peerId: ipmsg.id })],
  ])('hides Recall on a message %s (Forward stays)', async (_what, m) => {
    const { wrapper } = mountWith(MessageBubble, { props: { message: m }, initialState: peersState });
    await flushPromises();
    expect(wrapper.find('.recall-action').exists()).toBe(false);
    expect(wrapper.find('.forward-action').exists()).toBe(true);
  });

  it('says why a recall was refused, under the bubble', async () => {
    const m = message({ direction: 'out' });
    const host = fakeHost({
      recallMessage: vi.fn(async () => {
        throw new RequestError('RECALL_TOO_LATE', 'too late');
      }),
    });
    const { wrapper } = mountWith(MessageBubble, { props: { message: m }, initialState: peersState, host });
    await flushPromises();
    await wrapper.get('.recall-action').trigger('click');
    await flushPromises();
    expect(wrapper.get('.bubble-error').text()).toBe('A message can be recalled only within 2 minutes of sending it.');
  });

  it('a recalled message is a line, not a bubble: ours, and the peer’s by name (English and 简体中文)', async () => {
    const ours = mountWith(MessageBubble, {
      props: { message: message({ direction: 'out', text: '', recalledAt: 1 }) },
      initialState: peersState,
    });
    await flushPromises();
    expect(ours.wrapper.find('.bubble').exists()).toBe(false);
    expect(ours.wrapper.find('.bubble-action').exists()).toBe(false);
    expect(ours.wrapper.get('.recalled-line').text()).toBe('You recalled a message');
    const theirs = mountWith(MessageBubble, {
      props: { message: message({ text: '', recalledAt: 1 }), peerName: '老王' },
      locale: 'zh-CN',
    });
    await flushPromises();
    expect(theirs.wrapper.get('.recalled-line').text()).toBe('老王 撤回了一条消息');
    const mine = mountWith(MessageBubble, {
      props: { message: message({ direction: 'out', text: '', recalledAt: 1 }) },
      locale: 'zh-CN',
    });
    await flushPromises();
    expect(mine.wrapper.get('.recalled-line').text()).toBe('你撤回了一条消息');
  });

  it('a reply quoting a recalled message shows "Recalled message"', async () => {
    const gone = message({ text: '', recalledAt: 1 });
    const reply = message({ direction: 'out', text: 'what did you say?', replyTo: gone.id });
    const { wrapper } = mountWith(MessageBubble, { props: { message: reply, quoted: gone, peerName: 'Bob' } });
    await flushPromises();
    expect(wrapper.get('.bubble-quote-text').text()).toBe('Recalled message');
  });

  it('Forward asks for the forward dialog with this message', async () => {
    const m = message({ text: 'pass it on' });
    const { wrapper } = mountWith(MessageBubble, { props: { message: m } });
    await wrapper.get('.forward-action').trigger('click');
    expect(wrapper.emitted('forward')).toEqual([[m]]);
  });
});

describe('MessageBubble context menu', () => {
  const ferry = peer();
  const peersState = { peers: { byId: { [ferry.id]: ferry } } };
  const menuItems = () =>
    [...document.querySelectorAll('.bubble-menu [role="menuitem"]')].map((b) => b.textContent?.trim());

  it('right click opens the same actions in a menu, focused on the first; Escape closes it and gives focus back', async () => {
    const m = message({ direction: 'out', text: 'hello', storedAt: Date.now() - 1000 });
    const { wrapper } = mountWith(MessageBubble, { props: { message: m }, initialState: peersState });
    await flushPromises();
    const reply = wrapper.get('.reply-action').element as HTMLElement;
    reply.focus();
    await wrapper.get('.bubble').trigger('contextmenu', { clientX: 40, clientY: 50 });
    await flushPromises();
    expect(menuItems()).toEqual(['Reply', 'Copy text', 'Forward…', 'Recall', 'Delete for me']);
    expect(document.activeElement?.textContent?.trim()).toBe('Reply');
    const menu = document.querySelector('.bubble-menu') as HTMLElement;
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(document.activeElement?.textContent?.trim()).toBe('Copy text');
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    expect(document.activeElement?.textContent?.trim()).toBe('Delete for me');
    menu.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await flushPromises();
    expect(document.querySelector('.bubble-menu')).toBeNull();
    expect(document.activeElement).toBe(reply);
    wrapper.unmount();
  });

  it('Shift+F10 or the context-menu key on a message opens it; its items act (Reply, Delete for me at once)', async () => {
    const m = message({ direction: 'in', text: 'hi' });
    const { wrapper, host } = mountWith(MessageBubble, { props: { message: m }, initialState: peersState });
    await flushPromises();
    await wrapper.get('.reply-action').trigger('keydown', { key: 'F10', shiftKey: true });
    await flushPromises();
    // Not ours: no Recall.
    expect(menuItems()).toEqual(['Reply', 'Copy text', 'Forward…', 'Delete for me']);
    (document.querySelector('.bubble-menu [role="menuitem"]') as HTMLElement).click();
    await flushPromises();
    expect(wrapper.emitted('reply')).toEqual([[m]]);
    expect(document.querySelector('.bubble-menu')).toBeNull();

    await wrapper.get('.reply-action').trigger('keydown', { key: 'ContextMenu' });
    await flushPromises();
    ([...document.querySelectorAll('.bubble-menu [role="menuitem"]')].at(-1) as HTMLElement).click();
    await flushPromises();
    expect(host.deleteMessage).toHaveBeenCalledWith(m.conversationId, m.id);
    // A plain F10 or another key does nothing.
    await wrapper.get('.reply-action').trigger('keydown', { key: 'F10' });
    await flushPromises();
    expect(document.querySelector('.bubble-menu')).toBeNull();
    wrapper.unmount();
  });

  it('a click outside closes it without acting', async () => {
    const m = message({ direction: 'in', text: 'hi' });
    const { wrapper, host } = mountWith(MessageBubble, { props: { message: m }, initialState: peersState });
    await flushPromises();
    await wrapper.get('.bubble').trigger('contextmenu', { clientX: 10, clientY: 10 });
    await flushPromises();
    expect(document.querySelector('.bubble-menu')).not.toBeNull();
    document.body.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
    await flushPromises();
    expect(document.querySelector('.bubble-menu')).toBeNull();
    expect(host.deleteMessage).not.toHaveBeenCalled();
    expect(wrapper.emitted('reply')).toBeUndefined();
    wrapper.unmount();
  });
});

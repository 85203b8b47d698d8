import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { message } from '../testing/fake-host';
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

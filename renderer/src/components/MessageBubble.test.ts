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

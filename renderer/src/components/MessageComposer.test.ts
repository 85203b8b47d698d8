import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RequestError } from '../client/request-error';
import { BOB, fakeHost, message } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import { useChatsStore } from '../stores/chats';
import { useTransfersStore } from '../stores/transfers';
import MessageComposer from './MessageComposer.vue';

const mountComposer = (host = fakeHost()) =>
  mountWith(MessageComposer, { props: { conversationId: `direct:${BOB}`, peerId: BOB, peerName: 'Bob' }, host });

describe('MessageComposer', () => {
  it('Enter sends the text and clears the box', async () => {
    const { wrapper, host } = mountComposer();
    const box = wrapper.get('textarea');
    await box.setValue('hello there');
    await box.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(host.sendMessage).toHaveBeenCalledWith(`direct:${BOB}`, 'hello there', {
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect((box.element as HTMLTextAreaElement).value).toBe('');
  });

  it('a finished :shortcode: becomes its emoji as it is typed; other colons stay', async () => {
    const { wrapper } = mountComposer();
    const box = wrapper.get('textarea');
    const el = box.element as HTMLTextAreaElement;
    const type = async (value: string, data: string) => {
      el.value = value;
      el.setSelectionRange(value.length, value.length);
      el.dispatchEvent(new InputEvent('input', { data, bubbles: true }));
      await flushPromises();
    };
    await type('ship it :rocket', 't');
    expect(el.value).toBe('ship it :rocket');
    await type('ship it :rocket:', ':');
    expect(el.value).toBe('ship it 🚀');
    expect(el.selectionStart).toBe('ship it 🚀'.length);
    await type('ship it 🚀 at 10:30:', ':');
    expect(el.value).toBe('ship it 🚀 at 10:30:');
    // Pasted or typed otherwise (no ":" just typed): left as it is.
    await type('see :tada:', 'see :tada:');
    expect(el.value).toBe('see :tada:');
  });

  it('Shift+Enter and Enter during IME composition do not send', async () => {
    const { wrapper, host } = mountComposer();
    const box = wrapper.get('textarea');
    await box.setValue('你好');
    await box.trigger('keydown', { key: 'Enter', shiftKey: true });
    await box.trigger('keydown', { key: 'Enter', isComposing: true });
    await box.trigger('keydown', { key: 'Enter', keyCode: 229 });
    await flushPromises();
    expect(host.sendMessage).not.toHaveBeenCalled();
  });

  it('does not send blank text; trims trailing whitespace only', async () => {
    const { wrapper, host } = mountComposer();
    const box = wrapper.get('textarea');
    await box.setValue('  \n ');
    await box.trigger('keydown', { key: 'Enter' });
    expect(host.sendMessage).not.toHaveBeenCalled();
    expect(wrapper.get('button[type="submit"]').attributes('disabled')).toBeDefined();
    await box.setValue('  indented\n\n');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(host.sendMessage).toHaveBeenCalledWith(`direct:${BOB}`, '  indented', expect.anything());
  });

  it('keeps the draft and shows the translated error when sending fails', async () => {
    const host = fakeHost({
      sendMessage: vi.fn(async () => Promise.reject(new RequestError('PEER_BLOCKED', 'blocked'))),
    });
    const { wrapper } = mountComposer(host);
    await wrapper.get('textarea').setValue('are you there?');
    await wrapper.get('textarea').trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect((wrapper.get('textarea').element as HTMLTextAreaElement).value).toBe('are you there?');
    expect(wrapper.get('[role="alert"]').text()).toBe('This device is blocked.');
  });

  it('refuses text over 64 KiB before asking the engine', async () => {
    const { wrapper, host } = mountComposer();
    await wrapper.get('textarea').setValue('字'.repeat(22_000)); // 66,000 bytes in UTF-8
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(host.sendMessage).not.toHaveBeenCalled();
    expect(wrapper.get('[role="alert"]').attributes('data-code')).toBe('TEXT_TOO_LONG');
  });

  it('the attach button uses the native picker when the host has one', async () => {
    const host = fakeHost({ pickFiles: vi.fn(async () => ['/home/a/x.pdf']) });
    const { wrapper } = mountComposer(host);
    await wrapper.get('button[aria-label="Send files"]').trigger('click');
    await flushPromises();
    expect(host.sendFiles).toHaveBeenCalledWith(`direct:${BOB}`, ['/home/a/x.pdf']);
  });

  it('icon buttons have labels', () => {
    const { wrapper } = mountComposer();
    for (const b of wrapper.findAll('button')) expect(b.attributes('aria-label')).toBeTruthy();
  });

  it('the paper clip offers Files… and Folder…; the menu works with the keyboard and Escape closes only it', async () => {
    const pickFiles = vi.fn(async () => []);
    const pickFolder = vi.fn(async () => '/home/alice/photos');
    const { wrapper, host } = mountComposer(fakeHost({ pickFiles, pickFolder }));
    const clip = wrapper.get('button[aria-haspopup="menu"]');
    await clip.trigger('click');
    const items = wrapper.findAll('[role="menuitem"]');
    expect(items.map((i) => i.text())).toEqual(['Files…', 'Folder…']);
    expect(document.activeElement).toBe(items[0]!.element);
    await wrapper.get('[role="menu"]').trigger('keydown', { key: 'ArrowDown' });
    expect(document.activeElement).toBe(items[1]!.element);
    await wrapper.get('[role="menu"]').trigger('keydown', { key: 'Escape' });
    expect(wrapper.find('[role="menu"]').exists()).toBe(false);
    expect(document.activeElement).toBe(clip.element);

    await clip.trigger('click');
    await wrapper.findAll('[role="menuitem"]')[1]!.trigger('click');
    await flushPromises();
    expect(host.sendFiles).toHaveBeenCalledWith(`direct:${BOB}`, ['/home/alice/photos']);
  });

  it('shows how far an upload got while browser mode hands files to the engine', async () => {
    const { wrapper, pinia } = mountComposer(fakeHost({ host: 'browser' }));
    useTransfersStore(pinia).uploads = { [BOB]: { bytesDone: 157 * 1024 ** 2, totalBytes: 1024 ** 3 } };
    await flushPromises();
    expect(wrapper.get('.upload-note').text()).toContain('Handing files to Ferry: 157 MB of 1 GB (15%)');
    expect(wrapper.get('.upload-note [role="progressbar"]').attributes('aria-valuenow')).toBe('15');
  });
});

describe('MessageComposer drafts', () => {
  const CAROL_ID = `ferry:${'c'.repeat(64)}`;

  it('shows the draft the engine kept (after a restart), and hands it what is typed', async () => {
    const host = fakeHost({ getDraft: vi.fn(async () => 'half a thought') });
    const { wrapper } = mountComposer(host);
    await flushPromises();
    const box = wrapper.get('textarea');
    expect((box.element as HTMLTextAreaElement).value).toBe('half a thought');
    expect(host.getDraft).toHaveBeenCalledWith(`direct:${BOB}`);
    vi.useFakeTimers();
    try {
      await box.setValue('half a thought, finished');
      expect(host.setDraft).not.toHaveBeenCalled(); // not on every key
      await vi.advanceTimersByTimeAsync(500);
      expect(host.setDraft).toHaveBeenCalledTimes(1);
      expect(host.setDraft).toHaveBeenCalledWith(`direct:${BOB}`, 'half a thought, finished');
    } finally {
      vi.useRealTimers();
    }
  });

  it('switching conversations keeps each draft, saving the one left at once', async () => {
    const { wrapper, host } = mountComposer();
    await flushPromises();
    const box = wrapper.get('textarea');
    await box.setValue('for Bob');
    await wrapper.setProps({ conversationId: `direct:${CAROL_ID}`, peerId: CAROL_ID, peerName: 'Carol' });
    await flushPromises();
    expect(host.setDraft).toHaveBeenCalledWith(`direct:${BOB}`, 'for Bob');
    expect((box.element as HTMLTextAreaElement).value).toBe('');
    await box.setValue('for Carol');
    await wrapper.setProps({ conversationId: `direct:${BOB}`, peerId: BOB, peerName: 'Bob' });
    await flushPromises();
    expect((box.element as HTMLTextAreaElement).value).toBe('for Bob');
    expect(host.setDraft).toHaveBeenCalledWith(`direct:${CAROL_ID}`, 'for Carol');
  });

  it('sending clears the kept draft', async () => {
    const { wrapper, host } = mountComposer();
    await flushPromises();
    const box = wrapper.get('textarea');
    await box.setValue('sent soon');
    await box.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(host.setDraft).toHaveBeenLastCalledWith(`direct:${BOB}`, '');
  });
});

describe('MessageComposer replies', () => {
  it('shows what is being replied to, sends the reply with it, then forgets it', async () => {
    const { wrapper, host, pinia } = mountComposer();
    await flushPromises();
    const original = message({ id: '00000000-0000-4000-8000-000000000042', text: 'Lunch at 12?' });
    useChatsStore(pinia).conversation(`direct:${BOB}`).replyingTo = original;
    await flushPromises();
    expect(wrapper.get('.reply-note').text()).toContain('Replying to Bob:');
    expect(wrapper.get('.reply-note').text()).toContain('Lunch at 12?');
    const box = wrapper.get('textarea');
    await box.setValue('Sure');
    await box.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(host.sendMessage).toHaveBeenCalledWith(`direct:${BOB}`, 'Sure', {
      id: expect.any(String),
      replyTo: original.id,
    });
    expect(wrapper.find('.reply-note').exists()).toBe(false);
  });

  it('Escape cancels the reply without sending', async () => {
    const { wrapper, host, pinia } = mountComposer();
    await flushPromises();
    useChatsStore(pinia).conversation(`direct:${BOB}`).replyingTo = message({ text: 'x' });
    await flushPromises();
    await wrapper.get('textarea').trigger('keydown', { key: 'Escape' });
    await flushPromises();
    expect(wrapper.find('.reply-note').exists()).toBe(false);
    expect(host.sendMessage).not.toHaveBeenCalled();
  });
});

describe('MessageComposer emoji', () => {
  it('picks an emoji into the text where the cursor is, by click or by keyboard', async () => {
    const { wrapper } = mountComposer();
    await flushPromises();
    const box = wrapper.get('textarea');
    await box.setValue('see you ');
    const el = box.element as HTMLTextAreaElement;
    el.setSelectionRange(8, 8);
    await wrapper.get('button[aria-label="Emoji"]').trigger('click');
    const choices = wrapper.findAll('.emoji-choice');
    expect(choices.length).toBeGreaterThan(40);
    await choices[24]!.trigger('click'); // 👍
    expect(el.value).toBe('see you 👍');
    expect(wrapper.find('.emoji-picker').exists()).toBe(false);

    el.setSelectionRange(0, 0);
    await wrapper.get('button[aria-label="Emoji"]').trigger('click');
    await wrapper.get('.emoji-picker').trigger('keydown', { key: 'ArrowRight' });
    await wrapper.get('.emoji-picker').trigger('keydown', { key: 'Escape' });
    expect(wrapper.find('.emoji-picker').exists()).toBe(false);
    expect(el.value).toBe('see you 👍');
  });
});

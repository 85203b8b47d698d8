import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RequestError } from '../client/request-error';
import { BOB, fakeHost, peer, settings } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import { usePeersStore } from '../stores/peers';
import { useSettingsStore } from '../stores/settings';
import AddPeerDialog from './AddPeerDialog.vue';
import SettingsDialog from './SettingsDialog.vue';
import PeerInfoDialog from './PeerInfoDialog.vue';
import VerifyPeerDialog from './VerifyPeerDialog.vue';

describe('AddPeerDialog', () => {
  it('connects to the typed address and closes', async () => {
    const { wrapper, host } = mountWith(AddPeerDialog);
    await wrapper.get('input[name="address"]').setValue(' 192.168.1.20:47820 ');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(host.addPeer).toHaveBeenCalledWith('192.168.1.20:47820');
    expect(wrapper.emitted('added')).toEqual([[BOB]]);
    expect(wrapper.emitted('close')).toHaveLength(1);
  });

  it('shows the failure next to the field in the user’s language and stays open', async () => {
    const host = fakeHost({ addPeer: vi.fn(async () => Promise.reject(new RequestError('SELF_CONNECTION', 'self'))) });
    const { wrapper } = mountWith(AddPeerDialog, { host, locale: 'zh-CN' });
    await wrapper.get('input[name="address"]').setValue('127.0.0.1');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[role="alert"]').text()).toBe('这是本机的地址，请输入另一台电脑的地址。');
    expect(wrapper.emitted('close')).toBeUndefined();
  });

  it('is a labelled modal that Escape closes', async () => {
    const { wrapper } = mountWith(AddPeerDialog);
    const dialog = wrapper.get('[role="dialog"]');
    expect(dialog.attributes('aria-modal')).toBe('true');
    expect(document.getElementById(dialog.attributes('aria-labelledby')!)?.textContent).toBe(
      'Add a computer by address',
    );
    await dialog.trigger('keydown', { key: 'Escape' });
    expect(wrapper.emitted('close')).toHaveLength(1);
  });
});

describe('SettingsDialog', () => {
  async function open(host = fakeHost()) {
    const m = mountWith(SettingsDialog, { host, initialState: { settings: { settings: settings() } } });
    await flushPromises();
    return m;
  }

  it('saves only what changed', async () => {
    const { wrapper, host } = await open();
    await wrapper.get('input[name="displayName"]').setValue('  Alice’s laptop ');
    await wrapper.get('select[name="language"]').setValue('zh-CN');
    await wrapper.get('input[name="autoAcceptVerified"]').setValue(true);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(host.updateSettings).toHaveBeenCalledWith({
      displayName: 'Alice’s laptop',
      language: 'zh-CN',
      autoAcceptVerified: true,
    });
    expect(wrapper.emitted('close')).toHaveLength(1);
  });

  it('checks the port and name before asking the engine, and shows engine errors in place', async () => {
    const host = fakeHost({
      updateSettings: vi.fn(async () => Promise.reject(new RequestError('PERMISSION_DENIED', 'no'))),
    });
    const { wrapper } = await open(host);
    await wrapper.get('input[name="port"]').setValue('70000');
    await wrapper.get('form').trigger('submit');
    expect(wrapper.get('[role="alert"]').text()).toBe('Enter a port number from 0 to 65535.');
    await wrapper.get('input[name="port"]').setValue('48000');
    expect(wrapper.text()).toContain('The new port is used after Ferry restarts.');
    await wrapper.get('input[name="displayName"]').setValue('   ');
    await wrapper.get('form').trigger('submit');
    expect(wrapper.get('[role="alert"]').text()).toBe('Enter a display name.');
    expect(host.updateSettings).not.toHaveBeenCalled();

    await wrapper.get('input[name="displayName"]').setValue('A');
    await wrapper.get('input[name="downloadDir"]').setValue('/root');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('[role="alert"]').attributes('data-code')).toBe('PERMISSION_DENIED');
    expect(wrapper.emitted('close')).toBeUndefined();
  });

  it('offers the folder picker and close-to-tray only where the host has them', async () => {
    const desktop = await open(fakeHost({ pickFolder: vi.fn(async () => '/data/in') }));
    expect(desktop.wrapper.find('input[name="closeToTray"]').exists()).toBe(true);
    await desktop.wrapper
      .findAll('button')
      .find((b) => b.text() === 'Choose…')!
      .trigger('click');
    await flushPromises();
    expect((desktop.wrapper.get('input[name="downloadDir"]').element as HTMLInputElement).value).toBe('/data/in');

    const browser = await open(fakeHost({ host: 'browser' }));
    expect(browser.wrapper.find('input[name="closeToTray"]').exists()).toBe(false);
    expect(browser.wrapper.findAll('button').some((b) => b.text() === 'Choose…')).toBe(false);
  });

  it('the settings store applies a pushed settingsUpdated', async () => {
    const { pinia } = await open();
    const store = useSettingsStore(pinia);
    store.applyEvent({ name: 'settingsUpdated', payload: settings({ theme: 'dark' }) });
    expect(store.theme).toBe('dark');
  });
});

describe('VerifyPeerDialog', () => {
  it('shows the code in groups and marks the peer verified when they match', async () => {
    const getVerificationCode = vi.fn(async () => '1234 5678 9012');
    const setPeerVerified = vi.fn(async () => peer({ verified: true }));
    const host = fakeHost({ getVerificationCode, setPeerVerified });
    const { wrapper, pinia } = mountWith(VerifyPeerDialog, {
      props: { peerId: BOB },
      host,
      initialState: { peers: { byId: { [BOB]: peer() } } },
    });
    await flushPromises();
    expect(getVerificationCode).toHaveBeenCalledWith(BOB);
    expect(wrapper.findAll('.verify-code span').map((s) => s.text())).toEqual(['1234', '5678', '9012']);
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'They match')!
      .trigger('click');
    await flushPromises();
    expect(setPeerVerified).toHaveBeenCalledWith(BOB, true);
    expect(usePeersStore(pinia).byId[BOB]!.verified).toBe(true);
    expect(wrapper.emitted('close')).toHaveLength(1);
  });

  it('shows the engine’s refusal in place and cannot confirm without a code', async () => {
    const host = fakeHost({
      getVerificationCode: vi.fn(async () => Promise.reject(new RequestError('PEER_UNKNOWN', 'no'))),
    });
    const { wrapper } = mountWith(VerifyPeerDialog, {
      props: { peerId: BOB },
      host,
      initialState: { peers: { byId: { [BOB]: peer() } } },
    });
    await flushPromises();
    expect(wrapper.get('[role="alert"]').attributes('data-code')).toBe('PEER_UNKNOWN');
    expect(
      wrapper
        .findAll('button')
        .find((b) => b.text() === 'They match')!
        .attributes('disabled'),
    ).toBeDefined();
  });
});

describe('PeerInfoDialog', () => {
  const mountInfo = (host = fakeHost(), p = peer()) =>
    mountWith(PeerInfoDialog, { props: { peerId: BOB }, host, initialState: { peers: { byId: { [BOB]: p } } } });
  const button = (wrapper: { findAll: (s: string) => { text(): string }[] }, label: string) =>
    wrapper.findAll('button').find((b) => b.text() === label) as unknown as { trigger(e: string): Promise<void> };

  it('renames locally, and an empty name restores the announced one', async () => {
    const { wrapper, host, pinia } = mountInfo();
    await wrapper.get('input[name="alias"]').setValue('  Bob at work ');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(host.renamePeer).toHaveBeenCalledWith(BOB, 'Bob at work');
    expect(usePeersStore(pinia).byId[BOB]!.name).toBe('Bob at work');
    await wrapper.get('input[name="alias"]').setValue('   ');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(host.renamePeer).toHaveBeenLastCalledWith(BOB, null);
  });

  it('shows the fingerprint in groups, blocks, and forgets only after confirming', async () => {
    const { wrapper, host, pinia } = mountInfo();
    expect(wrapper.get('.fingerprint').text()).toBe(Array(16).fill('bbbb').join(' '));
    await button(wrapper, 'Block').trigger('click');
    await flushPromises();
    expect(host.setPeerBlocked).toHaveBeenCalledWith(BOB, true);
    expect(button(wrapper, 'Unblock')).toBeDefined();

    await button(wrapper, 'Forget').trigger('click');
    expect(host.forgetPeer).not.toHaveBeenCalled();
    expect(wrapper.get('.confirm-note').text()).toContain('Your chat history stays.');
    await button(wrapper, 'Forget this device').trigger('click');
    await flushPromises();
    expect(host.forgetPeer).toHaveBeenCalledWith(BOB);
    expect(usePeersStore(pinia).byId[BOB]).toBeUndefined();
  });

  it('shows a failed action next to it', async () => {
    const host = fakeHost({
      setPeerBlocked: vi.fn(async () => Promise.reject(new RequestError('PEER_UNKNOWN', 'gone'))),
    });
    const { wrapper } = mountInfo(host);
    await button(wrapper, 'Block').trigger('click');
    await flushPromises();
    expect(wrapper.get('[role="alert"]').text()).toBe('Ferry doesn’t know this device. Add it by address first.');
  });
});

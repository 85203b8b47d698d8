import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { BOB, peer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import PeerInfoDialog from './PeerInfoDialog.vue';

const mountInfo = (p = peer(), locale: 'en' | 'zh-CN' = 'en') =>
  mountWith(PeerInfoDialog, {
    props: { peerId: BOB },
    initialState: { peers: { byId: { [BOB]: p } } },
    locale,
  });

describe('PeerInfoDialog', () => {
  it('says how Ferry talks to the device and what it can do with it', async () => {
    const { wrapper } = mountInfo();
    await flushPromises();
    expect(wrapper.get('.peer-connection').text()).toBe(
      'Ferry · encrypted · can be verified · read receipts · files and folders · resumes transfers',
    );
    expect(wrapper.text()).toContain('Verification');
  });

  it('leaves out what the device did not announce, and offers no verification where it cannot be done', async () => {
    const base = peer();
    const limited = peer({
      capabilities: { ...base.capabilities, verifiable: false, receipts: false, files: false, resume: false },
    });
    const { wrapper } = mountInfo(limited, 'zh-CN');
    await flushPromises();
    expect(wrapper.get('.peer-connection').text()).toBe('Ferry · 已加密');
    expect(wrapper.text()).not.toContain('验证');
  });
});

describe('PeerInfoDialog for an IP Messenger (FeiQ / iptux) peer', () => {
  const tux = (locale: 'en' | 'zh-CN') =>
    mountWith(PeerInfoDialog, {
      props: { peerId: 'ipmsg:192.168.1.20' },
      initialState: {
        peers: {
          byId: {
            'ipmsg:192.168.1.20': peer({
              id: 'ipmsg:192.168.1.20',
              protocol: 'ipmsg',
              platform: 'iptux',
              addresses: ['192.168.1.20:2425'],
              ipmsg: { user: 'wang', host: 'WANG-PC', group: '研发部' },
              capabilities: {
                encrypted: false,
                verifiable: false,
                chat: true,
                receipts: true,
                files: false,
                folders: false,
                resume: false,
                groups: false,
                recall: false,
              },
            }),
          },
        },
      },
      locale,
    });

  it('says it is IP Messenger and unencrypted, explains why it cannot be verified, shows no fingerprint', async () => {
    const { wrapper } = tux('en');
    await flushPromises();
    expect(wrapper.get('.peer-connection').text()).toBe('IP Messenger · not encrypted · read receipts');
    expect(wrapper.get('.legacy-note').text()).toContain('unencrypted');
    expect(wrapper.text()).not.toContain('Device fingerprint');
    expect(wrapper.text()).not.toContain('Verification');
    expect(wrapper.find('.fingerprint').exists()).toBe(false);
    expect(wrapper.get('.ipmsg-login').text()).toBe('wang@WANG-PC');
    expect(wrapper.get('.ipmsg-group').text()).toBe('研发部');
  });

  it('says so in Chinese too', async () => {
    const { wrapper } = tux('zh-CN');
    await flushPromises();
    expect(wrapper.get('.peer-connection').text()).toContain('IP Messenger · 未加密');
    expect(wrapper.get('.legacy-note').text()).toContain('飞秋');
  });
});

describe('PeerInfoDialog muting', () => {
  it('mutes and unmutes the conversation through the engine', async () => {
    const { wrapper, host } = mountInfo();
    await flushPromises();
    const toggle = wrapper.get('.mute-toggle');
    expect(toggle.text()).toBe('Mute');
    await toggle.trigger('click');
    await flushPromises();
    expect(host.setConversationMuted).toHaveBeenCalledWith(`direct:${BOB}`, true);
    expect(wrapper.get('.mute-toggle').text()).toBe('Unmute');
    await wrapper.get('.mute-toggle').trigger('click');
    await flushPromises();
    expect(host.setConversationMuted).toHaveBeenLastCalledWith(`direct:${BOB}`, false);
    expect(wrapper.get('.mute-toggle').text()).toBe('Mute');
  });
});

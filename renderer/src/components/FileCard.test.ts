import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { RequestError } from '../client/request-error';
import { fakeHost, transfer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import FileCard from './FileCard.vue';

describe('FileCard', () => {
  it('an incoming offer shows name, size, and Accept / Decline that call the engine', async () => {
    const t = transfer();
    const { wrapper, host } = mountWith(FileCard, { props: { transfer: t } });
    expect(wrapper.get('.file-name').text()).toBe('report.pdf');
    expect(wrapper.get('.file-detail').text()).toBe('1.9 MB');
    expect(wrapper.get('.file-state-label').text()).toBe('Wants to send you this');
    expect(wrapper.find('[role="progressbar"]').exists()).toBe(false);
    const buttons = wrapper.findAll('button').map((b) => b.text());
    expect(buttons).toEqual(['Accept', 'Decline']);
    await wrapper.findAll('button')[0]!.trigger('click');
    expect(host.acceptTransfer).toHaveBeenCalledWith(t.id);
    await wrapper.findAll('button')[1]!.trigger('click');
    expect(host.declineTransfer).toHaveBeenCalledWith(t.id);
  });

  it('an outgoing transfer that ended without arriving offers Send again; one that arrived does not', async () => {
    for (const state of ['declined', 'failed', 'cancelled', 'expired'] as const) {
      const t = transfer({ state, direction: 'out' });
      const { wrapper, host } = mountWith(FileCard, { props: { transfer: t }, locale: 'zh-CN' });
      await wrapper.get('button.resend').trigger('click');
      expect(wrapper.get('button.resend').text()).toBe('重新发送');
      expect(host.resendTransfer).toHaveBeenCalledWith(t.id);
    }
    for (const t of [transfer({ state: 'done', direction: 'out' }), transfer({ state: 'declined', direction: 'in' })]) {
      const { wrapper } = mountWith(FileCard, { props: { transfer: t } });
      expect(wrapper.find('button.resend').exists()).toBe(false);
    }
  });

  it('while moving: progress bar, bytes, speed, ETA and Cancel', async () => {
    const t = transfer({ state: 'active', direction: 'out', bytesDone: 500_000, speed: 1_048_576, etaSeconds: 75 });
    const { wrapper, host } = mountWith(FileCard, { props: { transfer: t } });
    expect(wrapper.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('25');
    expect(wrapper.get('.file-detail').text()).toBe('488 KB / 1.9 MB · 1 MB/s · 1:15 left');
    expect(wrapper.get('.file-state-label').text()).toBe('Sending…');
    await wrapper.get('button').trigger('click');
    expect(host.cancelTransfer).toHaveBeenCalledWith(t.id);
  });

  it('done and received: Open and Show in folder when the host can, the saved path when it cannot', async () => {
    const files = [
      {
        path: 'report.pdf',
        size: 10,
        isDirectory: false,
        bytesDone: 10,
        state: 'done' as const,
        savedPath: '/dl/report.pdf',
        error: null,
      },
    ];
    const t = transfer({ state: 'done', files, bytesDone: 10, totalBytes: 10 });
    const openPath = vi.fn(async () => {});
    const showInFolder = vi.fn(async () => {});
    const { wrapper } = mountWith(FileCard, { props: { transfer: t }, host: fakeHost({ openPath, showInFolder }) });
    expect(wrapper.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('100');
    expect(wrapper.get('.file-state-label').text()).toBe('Done');
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Open')!
      .trigger('click');
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Show in folder')!
      .trigger('click');
    expect(openPath).toHaveBeenCalledWith('/dl/report.pdf');
    expect(showInFolder).toHaveBeenCalledWith('/dl/report.pdf');

    const browser = mountWith(FileCard, { props: { transfer: t }, host: fakeHost({ host: 'browser' }) });
    expect(browser.wrapper.findAll('button')).toHaveLength(0);
    expect(browser.wrapper.get('.saved-label').text()).toBe('Saved to');
    expect(browser.wrapper.get('.saved-path').attributes('title')).toBe('/dl/report.pdf');
  });

  it('a long saved path is cut in the middle: the file name stays, the full path is on hover', () => {
    const long = '/home/alice/Downloads/Ferry/projects/2026/very/deep/folder/quarterly report.pdf';
    const files = [
      {
        path: 'quarterly report.pdf',
        size: 10,
        isDirectory: false,
        bytesDone: 10,
        state: 'done' as const,
        savedPath: long,
        error: null,
      },
    ];
    const t = transfer({ state: 'done', files, bytesDone: 10, totalBytes: 10 });
    const { wrapper } = mountWith(FileCard, { props: { transfer: t }, host: fakeHost({ host: 'browser' }) });
    expect(wrapper.get('.saved-path').attributes('title')).toBe(long);
    // The tail (never shortened by CSS) is the file name; only the folders before it may be cut.
    expect(wrapper.get('.saved-tail').text()).toBe('/quarterly report.pdf');
    expect(wrapper.get('.saved-head').text()).toBe('/home/alice/Downloads/Ferry/projects/2026/very/deep/folder');
  });

  it('shows why it failed, in the user’s language, and action errors next to the card', async () => {
    const failed = transfer({ state: 'failed', error: { code: 'HASH_MISMATCH', message: 'sha mismatch' } });
    const zh = mountWith(FileCard, { props: { transfer: failed }, locale: 'zh-CN' });
    expect(zh.wrapper.get('[role="alert"]').text()).toBe('文件在传输中损坏（校验不一致），请重新发送。');
    expect(zh.wrapper.get('.file-state-label').text()).toBe('失败');

    const host = fakeHost({ acceptTransfer: vi.fn(async () => Promise.reject(new RequestError('DISK_FULL', 'full'))) });
    const { wrapper } = mountWith(FileCard, { props: { transfer: transfer() }, host });
    await wrapper.get('button').trigger('click');
    await flushPromises();
    expect(wrapper.get('[role="alert"]').attributes('data-code')).toBe('DISK_FULL');
  });

  it('a multi-file offer is named by its folder, with a folder icon', () => {
    const files = ['photos/a.jpg', 'photos/b.jpg', 'photos/c.jpg'].map((p) => ({
      path: p,
      size: 1,
      isDirectory: false,
      bytesDone: 0,
      state: 'pending' as const,
      savedPath: null,
      error: null,
    }));
    const { wrapper } = mountWith(FileCard, { props: { transfer: transfer({ files, fileCount: 3, totalBytes: 3 }) } });
    expect(wrapper.get('.file-name').text()).toBe('photos');
    expect(wrapper.get('.file-icon').classes()).toContain('folder');
  });
});

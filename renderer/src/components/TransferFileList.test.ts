import { describe, expect, it } from 'vitest';
import type { TransferFileDto } from '../../../shared/dto';
import { transfer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import FileCard from './FileCard.vue';

const file = (path: string, over: Partial<TransferFileDto> = {}): TransferFileDto => ({
  path,
  size: 1000,
  isDirectory: false,
  bytesDone: 0,
  state: 'pending',
  savedPath: null,
  error: null,
  ...over,
});

describe('what is inside a multi-file transfer', () => {
  it('an offer names its first files, then "and N more"', () => {
    const files = [file('a.txt'), file('b.txt'), file('c.txt'), file('d.txt'), file('e.txt')];
    const { wrapper } = mountWith(FileCard, {
      props: { transfer: transfer({ files, fileCount: 5, totalBytes: 5000 }) },
    });
    expect(wrapper.get('.file-name').text()).toBe('5 files');
    expect(wrapper.findAll('.file-preview-item').map((li) => li.text())).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(wrapper.get('.file-list-toggle').text()).toBe('and 2 more');
    expect(wrapper.get('.file-list-toggle').attributes('aria-expanded')).toBe('false');
  });

  it('opens the whole tree of 10,000 entries, windowed, with folders and empty folders', async () => {
    const files = [
      file('project/empty', { isDirectory: true, size: 0 }),
      ...Array.from({ length: 10_000 }, (_, i) => file(`project/src/file-${String(i).padStart(5, '0')}.ts`)),
    ];
    const { wrapper } = mountWith(FileCard, {
      props: { transfer: transfer({ files, fileCount: files.length, totalBytes: 10_000_000 }) },
    });
    expect(wrapper.get('.file-name').text()).toBe('project');
    expect(wrapper.get('.file-list-toggle').text()).toBe('and 9997 more');
    await wrapper.get('.file-list-toggle').trigger('click');
    const tree = wrapper.get('.file-tree');
    const names = () => wrapper.findAll('.file-tree-row').map((r) => r.get('.file-tree-name').text());
    // Only the rows near the view exist; the spacer stands for all 10,003.
    expect(wrapper.findAll('.file-tree-row').length).toBeLessThan(30);
    expect(wrapper.get('.file-tree-spacer').attributes('style')).toContain(`height: ${10_003 * 26}px`);
    expect(names().slice(0, 4)).toEqual(['project', 'empty', 'src', 'file-00000.ts']);
    // Scrolling far down renders rows from there.
    (tree.element as HTMLElement).scrollTop = 5000 * 26;
    await tree.trigger('scroll');
    expect(names()).toContain('file-04999.ts');
    expect(names()).not.toContain('file-00000.ts');
    expect(wrapper.findAll('.file-tree-row').length).toBeLessThan(30);
    await wrapper.get('.file-list-toggle').trigger('click');
    expect(wrapper.find('.file-tree').exists()).toBe(false);
  });

  it('shows each file’s state once accepted', async () => {
    const files = [
      file('pics/a.jpg', { state: 'done', bytesDone: 1000 }),
      file('pics/b.jpg', { state: 'active', bytesDone: 420 }),
      file('pics/c.jpg'),
      file('pics/d.jpg', { state: 'failed', error: { code: 'DISK_FULL', message: '' } }),
    ];
    const { wrapper } = mountWith(FileCard, {
      props: { transfer: transfer({ state: 'active', files, fileCount: 4, totalBytes: 4000, bytesDone: 1420 }) },
      locale: 'zh-CN',
    });
    await wrapper.get('.file-list-toggle').trigger('click');
    const states = wrapper
      .findAll('.file-tree-row')
      .slice(1)
      .map(
        (r) =>
          `${r.get('.file-tree-name').text()} ${r.get('.file-tree-state').attributes('title')} ${r.get('.file-tree-state').text()}`,
      );
    expect(states).toEqual(['a.jpg 已完成 已完成', 'b.jpg 传输中 42%', 'c.jpg 等待中 等待中', 'd.jpg 失败 失败']);
  });
});

/**
 * A single picture in the conversation (FileCard): shown as itself at its aspect ratio
 * from the first render, only once it is here, and a plain file card whenever it cannot
 * be shown. The real decoding and thumbnail making run in Chromium:
 * test/e2e/pictures-in-browser.test.ts.
 */
import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { TransferDto } from '../../../shared/dto';
import { inlinePicture, pictureBox } from '../stores/pictures';
import { fakeHost, transfer } from '../testing/fake-host';
import { mountWith } from '../testing/mount-with';
import FileCard from './FileCard.vue';

const thumb = { mime: 'image/png', base64: Buffer.from('not decoded in happy-dom').toString('base64') };

function photo(over: Partial<TransferDto> = {}, image = { mime: 'image/png' as const, width: 4000, height: 3000 }) {
  return transfer({
    state: 'done',
    direction: 'in',
    files: [
      {
        path: 'harbour.png',
        size: 2_000_000,
        isDirectory: false,
        bytesDone: 2_000_000,
        state: 'done',
        savedPath: '/home/alice/Downloads/Ferry/harbour.png',
        error: null,
        image,
      },
    ],
    ...over,
  });
}

describe('pictures in FileCard', () => {
  it('lays the picture out at its aspect ratio before it loads, then shows the cached thumbnail', async () => {
    let release: (v: typeof thumb) => void = () => {};
    const readImage = vi.fn(() => new Promise<typeof thumb>((r) => (release = r)));
    const t = photo();
    const { wrapper } = mountWith(FileCard, { props: { transfer: t }, host: fakeHost({ readImage }) });
    const button = wrapper.get('button.picture');
    expect(button.attributes('style')).toContain('width: 280px; height: 210px');
    expect(button.attributes('aria-label')).toBe('Open picture harbour.png');
    expect(wrapper.find('.picture-placeholder').exists()).toBe(true);
    expect(wrapper.find('.file-main').exists()).toBe(false);
    release(thumb);
    await flushPromises();
    expect(readImage).toHaveBeenCalledWith(t.id, 0, 'thumbnail');
    expect(wrapper.get('button.picture img').attributes('src')).toMatch(/^blob:/);
    expect(wrapper.get('.picture-caption').text()).toBe('harbour.png · 1.9 MB');
    // The progress bar of a finished picture is not needed.
    expect(wrapper.find('[role="progressbar"]').exists()).toBe(false);
  });

  it('becomes a file card when the picture cannot be read, or does not decode', async () => {
    const unreadable = mountWith(FileCard, {
      props: { transfer: photo() },
      host: fakeHost({ readImage: vi.fn(async () => Promise.reject(new Error('gone'))) }),
    });
    await flushPromises();
    expect(unreadable.wrapper.find('button.picture').exists()).toBe(false);
    expect(unreadable.wrapper.get('.file-name').text()).toBe('harbour.png');

    const broken = mountWith(FileCard, {
      props: { transfer: photo() },
      host: fakeHost({ readImage: vi.fn(async () => thumb) }),
    });
    await flushPromises();
    await broken.wrapper.get('button.picture img').trigger('error');
    expect(broken.wrapper.find('button.picture').exists()).toBe(false);
    expect(broken.wrapper.find('.file-main').exists()).toBe(true);
  });

  it('opens the viewer on click', async () => {
    const t = photo();
    const { wrapper, pinia } = mountWith(FileCard, {
      props: { transfer: t },
      host: fakeHost({ readImage: vi.fn(async () => thumb) }),
    });
    await flushPromises();
    await wrapper.get('button.picture').trigger('click');
    expect((pinia.state.value as { pictures: { viewing: unknown } }).pictures.viewing).toEqual({
      transferId: t.id,
      index: 0,
    });
  });

  it('is a file card for an offer not yet here, several files, the transfers panel, or a file that is no picture', () => {
    const offered = photo({ state: 'offered' });
    const several = photo({ fileCount: 2 });
    const plain = transfer({ state: 'done' });
    for (const t of [offered, several, plain]) expect(inlinePicture(t), t.state).toBeNull();
    expect(inlinePicture(photo())).not.toBeNull();
    expect(inlinePicture(photo({ direction: 'out', state: 'offered' }))).not.toBeNull();
    for (const t of [offered, several, plain]) {
      const { wrapper } = mountWith(FileCard, { props: { transfer: t } });
      expect(wrapper.find('button.picture').exists()).toBe(false);
    }
    const compact = mountWith(FileCard, { props: { transfer: photo(), compact: true } });
    expect(compact.wrapper.find('button.picture').exists()).toBe(false);
  });

  it('boxes pictures within 280 × 240, never below 48 px a side, small ones at their own size', () => {
    expect(pictureBox({ width: 4000, height: 3000 })).toEqual({ width: 280, height: 210 });
    expect(pictureBox({ width: 300, height: 900 })).toEqual({ width: 80, height: 240 });
    expect(pictureBox({ width: 120, height: 90 })).toEqual({ width: 120, height: 90 });
    expect(pictureBox({ width: 10_000, height: 10 })).toEqual({ width: 280, height: 48 });
    expect(pictureBox({ width: 280, height: 240 })).toEqual({ width: 280, height: 240 });
  });
});

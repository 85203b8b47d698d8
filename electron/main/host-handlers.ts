/** Host extras behind the contract: native dialogs and opening received files safely. */
import type { BrowserWindow, Dialog, Shell } from 'electron';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PASTE_MAX_BYTES } from '../../shared/host-api';
import { sanitizeSegment } from '../core/transfer/safe-filename';
import { z } from 'zod';
import { FerryError } from '../core/ferry-error';
import type { HostHandlers } from './ipc-adapter';

/**
 * Kinds "Open" hands to the default app: documents, images, audio, video and archives, which
 * their viewers read rather than run. Everything else (programs, scripts, shortcuts, installers,
 * disk images, help files, web pages, unknown or missing extensions) is only shown in its
 * folder: a deny-list always misses some of the hundreds of types Windows, macOS and Linux run.
 */
const OPENS_SAFELY = new Set(
  [
    'txt md csv tsv log rtf pdf epub',
    'doc docx xls xlsx ppt pptx odt ods odp pages numbers key',
    'jpg jpeg png gif webp bmp tif tiff heic heif avif',
    'mp3 wav flac aac m4a ogg oga opus wma aiff',
    'mp4 m4v mov avi mkv webm wmv mpg mpeg 3gp',
    'zip 7z rar tar gz tgz bz2 xz',
  ]
    .join(' ')
    .split(' '),
);

/** True when opening the file would show it, not run it. */
export function opensSafely(file: string): boolean {
  const ext = path.extname(file).slice(1).toLowerCase();
  return OPENS_SAFELY.has(ext);
}

const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => path.isAbsolute(p), 'must be an absolute path');

export function createHostHandlers(deps: {
  dialog: Dialog;
  shell: Shell;
  window: () => BrowserWindow | null;
  /** Only files Ferry itself saved may be opened (a compromised renderer can't open anything else). */
  isReceivedFile: (file: string) => Promise<boolean>;
  /** Where pasted files are written (a folder of their own under the OS temp folder by default). */
  pasteDir?: string;
}): HostHandlers {
  const pasteDir = deps.pasteDir ?? path.join(os.tmpdir(), `ferry-pasted-${process.pid}`);
  const { dialog, shell } = deps;
  return {
    async pickFiles() {
      const win = deps.window();
      const options = { properties: ['openFile', 'multiSelections'] as ('openFile' | 'multiSelections')[] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? [] : result.filePaths;
    },
    async pickFolder() {
      const win = deps.window();
      const options = { properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    async openPath(file) {
      const target = absolutePath.parse(file);
      if (!(await deps.isReceivedFile(target)))
        throw new FerryError('NOT_FOUND', 'this file is not one Ferry received');
      if (!opensSafely(target)) {
        // Opening might run it: show it in its folder and let the user decide.
        shell.showItemInFolder(target);
        return;
      }
      const error = await shell.openPath(target);
      if (error) throw new FerryError('NOT_FOUND', error);
    },
    async showInFolder(file) {
      const target = absolutePath.parse(file);
      if (!(await deps.isReceivedFile(target)))
        throw new FerryError('NOT_FOUND', 'this file is not one Ferry received');
      shell.showItemInFolder(target);
    },
    async savePastedFile(name, base64) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0)
        throw new FerryError('INVALID_ARGUMENT', 'a pasted file must come as base64');
      const bytes = Buffer.from(base64, 'base64');
      if (bytes.length > PASTE_MAX_BYTES)
        throw new FerryError('INVALID_ARGUMENT', `a pasted file is at most ${PASTE_MAX_BYTES} bytes`);
      // Its own folder per paste: the name stays as the user sees it, and nothing is overwritten.
      const safeName = sanitizeSegment(name.replace(/[\\/]/g, '_'));
      const dir = path.join(pasteDir, randomUUID());
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, safeName);
      await writeFile(file, bytes, { flag: 'wx' });
      return file;
    },
  };
}

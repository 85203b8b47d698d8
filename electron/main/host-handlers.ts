/** Host extras behind the contract: native dialogs and opening received files safely. */
import type { BrowserWindow, Dialog, Shell } from 'electron';
import path from 'node:path';
import { z } from 'zod';
import { FerryError } from '../core/ferry-error';
import type { HostHandlers } from './ipc-adapter';

/** Extensions the OS would run rather than open: Ferry never executes what it received. */
const EXECUTABLE = new Set(
  'exe com bat cmd msi msp scr pif cpl ps1 psm1 vbs vbe js jse wsf wsh hta lnk url reg jar app command sh bash zsh csh ksh run bin appimage deb rpm pkg dmg desktop py pl rb'.split(
    ' ',
  ),
);

export function isExecutableName(file: string): boolean {
  const ext = path.extname(file).slice(1).toLowerCase();
  return EXECUTABLE.has(ext);
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
}): HostHandlers {
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
      if (isExecutableName(target)) {
        // Opening would run it: show it in its folder and let the user decide.
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
  };
}

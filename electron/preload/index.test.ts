import { beforeEach, describe, expect, it, vi } from 'vitest';
import { requestNames } from '../../shared/api';

// Electron can't run here: the module is replaced by the few calls the preload makes.
const exposeInMainWorld = vi.fn();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld },
  ipcRenderer: { invoke: vi.fn(), on: vi.fn(), removeListener: vi.fn() },
  webUtils: { getPathForFile: vi.fn(() => '/tmp/dropped.txt') },
}));

describe('preload entry', () => {
  beforeEach(() => exposeInMainWorld.mockClear());

  it('exposes exactly one global, window.ferry, built from the contract', async () => {
    await import('./index');
    expect(exposeInMainWorld).toHaveBeenCalledTimes(1);
    const [name, api] = exposeInMainWorld.mock.calls[0]!;
    expect(name).toBe('ferry');
    for (const request of requestNames) expect(typeof api[request]).toBe('function');
    expect(api.getPathForFile({} as File)).toBe('/tmp/dropped.txt');
    const electron = await import('electron');
    expect(Object.values(api)).not.toContain(electron.ipcRenderer);
  });
});

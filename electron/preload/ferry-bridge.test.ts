import { describe, expect, it, vi } from 'vitest';
import { requestNames } from '../../shared/api';
import { hostRequests, IPC } from '../../shared/host-api';
import { createBridge } from './ferry-bridge';

function fakeIpcRenderer(outcome: unknown) {
  const listeners = new Map<string, (...a: unknown[]) => void>();
  return {
    invoke: vi.fn(async () => outcome),
    on: vi.fn((channel: string, fn: (...a: unknown[]) => void) => listeners.set(channel, fn)),
    removeListener: vi.fn((channel: string) => listeners.delete(channel)),
    listeners,
  };
}

describe('preload bridge', () => {
  it('exposes exactly the contract, the host extras and the event channel; never ipcRenderer', () => {
    const ipc = fakeIpcRenderer({ ok: true, result: null });
    const bridge = createBridge(ipc as never, { getPathForFile: () => '' } as never);
    expect(Object.keys(bridge).sort()).toEqual(
      [...requestNames, ...hostRequests, 'host', 'onEvent', 'onOpenConversation', 'getPathForFile'].sort(),
    );
    expect(Object.values(bridge)).not.toContain(ipc);
    for (const raw of ['ipcRenderer', 'invoke', 'send', 'on', 'sendSync', 'postMessage'])
      expect(bridge).not.toHaveProperty(raw);
    expect(bridge.host).toBe('electron');
  });

  it('forwards requests on the contract channel and unwraps results', async () => {
    const ipc = fakeIpcRenderer({ ok: true, result: { id: 'x' } });
    const bridge = createBridge(ipc as never, {} as never);
    await expect(bridge.getSelf()).resolves.toEqual({ id: 'x' });
    expect(ipc.invoke).toHaveBeenCalledWith(IPC.request('getSelf'));
    await bridge.sendMessage(`direct:ferry:${'a'.repeat(64)}`, 'hi');
    expect(ipc.invoke).toHaveBeenLastCalledWith(IPC.request('sendMessage'), `direct:ferry:${'a'.repeat(64)}`, 'hi');
  });

  it('turns an error outcome into an Error that keeps its code', async () => {
    const bridge = createBridge(
      fakeIpcRenderer({ ok: false, error: { code: 'PEER_OFFLINE', message: 'gone' } }) as never,
      {} as never,
    );
    // The code also leads the message: contextBridge passes only the message through.
    await expect(bridge.listPeers()).rejects.toMatchObject({ code: 'PEER_OFFLINE', message: 'PEER_OFFLINE: gone' });
  });

  it('delivers pushed events without exposing the IPC event object, and unsubscribes', () => {
    const ipc = fakeIpcRenderer(null);
    const bridge = createBridge(ipc as never, {} as never);
    const seen: unknown[] = [];
    const off = bridge.onEvent((e) => seen.push(e));
    ipc.listeners.get(IPC.event)!({ sender: 'secret' }, { name: 'notice', payload: { code: 'X' } });
    expect(seen).toEqual([{ name: 'notice', payload: { code: 'X' } }]);
    off();
    expect(ipc.removeListener).toHaveBeenCalledWith(IPC.event, expect.any(Function));
  });
});

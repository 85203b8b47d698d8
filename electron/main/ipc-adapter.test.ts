/**
 * The IPC adapter against a real engine. Electron can't run here, so ipcMain is
 * a minimal stand-in that records handlers the way Electron's does.
 */
import { describe, expect, it } from 'vitest';
import { requestNames } from '../../shared/api';
import { hostRequests, IPC, type IpcOutcome } from '../../shared/host-api';
import type { FerryApi } from '../../shared/api';
import { engineWithBug } from '../../test/helpers/engine-with-bug';
import { startNode } from '../../test/helpers/nodes';
import { INTERNAL_MESSAGE } from '../core/api/dispatcher';
import { registerIpc, type HostHandlers } from './ipc-adapter';

type Handler = (event: unknown, ...args: unknown[]) => Promise<IpcOutcome<unknown>>;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle: (channel: string, fn: Handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, fn);
    },
    removeHandler: (channel: string) => handlers.delete(channel),
  };
}

const opened: string[] = [];
const host: HostHandlers = {
  pickFiles: async () => ['/tmp/a'],
  pickFolder: async () => null,
  openPath: async (file) => void opened.push(file),
  showInFolder: async () => undefined,
  savePastedFile: async (name) => `/tmp/pasted/${name}`,
};

const trusted = { trusted: true };
const untrusted = { trusted: false };

async function setup(engine?: (node: FerryApi) => FerryApi) {
  const a = await startNode('Alice');
  const ipcMain = fakeIpcMain();
  const log: string[] = [];
  const unregister = registerIpc(ipcMain as never, {
    engine: engine ? engine(a.node) : a.node,
    host,
    isTrustedSender: (event) => (event as unknown as typeof trusted).trusted,
    log: (line) => log.push(line),
  });
  const call = (name: string, event: object, ...args: unknown[]) =>
    ipcMain.handlers.get(IPC.request(name))!(event, ...args);
  return { a, ipcMain, unregister, call, log };
}

describe('IPC adapter', () => {
  it('registers exactly the contract and the host extras, and removes them again', async () => {
    const { ipcMain, unregister } = await setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...requestNames, ...hostRequests].map(IPC.request).sort());
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('runs a valid request on the engine', async () => {
    const { a, call } = await setup();
    const outcome = await call('getSelf', trusted);
    expect(outcome).toMatchObject({ ok: true, result: { id: a.node.peerId, name: 'Alice' } });
    expect(await call('pickFiles', trusted)).toEqual({ ok: true, result: ['/tmp/a'] });
  });

  it('refuses requests from an untrusted frame without touching the engine', async () => {
    const { call } = await setup();
    const outcome = await call('updateSettings', untrusted, { displayName: 'pwned' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(await call('getSettings', trusted)).toMatchObject({ result: { displayName: 'Alice' } });
  });

  it.each([
    ['sendMessage', ['not-a-peer-id', 'hi']],
    ['sendMessage', ['a'.repeat(64), 42]],
    ['updateSettings', [{ port: 70000 }]],
    ['updateSettings', [{ evil: true }]],
    ['listMessages', ['a'.repeat(64), { limit: 1e9 }]],
    ['addPeer', ['']],
    ['getSelf', ['unexpected']],
  ])('validates arguments of %s %j', async (name, args) => {
    const { call } = await setup();
    const outcome = await call(name, trusted, ...args);
    expect(outcome.ok).toBe(false);
    expect(outcome).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect((outcome as { error: { message: string } }).error.message.length).toBeGreaterThan(0);
  });

  it('returns engine errors as {code, message}', async () => {
    const { call } = await setup();
    expect(await call('sendMessage', trusted, `direct:ferry:${'b'.repeat(64)}`, 'hi')).toEqual({
      ok: false,
      error: { code: 'PEER_UNKNOWN', message: expect.stringMatching(/add it by address/) },
    });
  });

  it('names the bad argument by its path, for contract requests and host extras alike', async () => {
    const { call } = await setup();
    expect(await call('sendMessage', trusted, 'not-a-peer-id', 'hi')).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: '0: a conversation id is "direct:" and a peer id' },
    });
    expect(await call('openPath', trusted, 'relative/file.txt')).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: '0: must be an absolute path' },
    });
    expect(opened).toEqual([]);
  });

  it('has no handler for a name outside the contract and the extras (Electron refuses the invoke)', async () => {
    const { ipcMain } = await setup();
    for (const name of ['stop', 'constructor', 'subscribe', 'isReceivedFile'])
      expect(ipcMain.handlers.has(IPC.request(name)), name).toBe(false);
  });

  it('answers an engine bug (a TypeError) with INTERNAL, not INVALID_ARGUMENT, and logs it once with the request name', async () => {
    const { call, log } = await setup((node) =>
      engineWithBug(node, 'listPeers', () => new TypeError("Cannot read properties of undefined (reading 'id')")),
    );
    expect(await call('listPeers', trusted)).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: INTERNAL_MESSAGE },
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/request "listPeers" via IPC; answered INTERNAL: TypeError: Cannot read properties/);
    // The engine serves on, and a caller's mistake is not logged.
    expect(await call('getSelf', trusted)).toMatchObject({ ok: true });
    expect(await call('getSelf', trusted, 'unexpected')).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(log).toHaveLength(1);
  });
});

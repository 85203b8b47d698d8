/**
 * The renderer's Pinia stores driven against real engines on 127.0.0.1: the
 * same FerryApi the preload and the WebSocket bridge expose, here called
 * in-process, with pushed events routed by the renderer's own wireEvents().
 */
import { createPinia, setActivePinia } from 'pinia';
import { describe, expect, it } from 'vitest';
import type { FerryEvent } from '../../shared/api';
import type { FerryHost } from '../../shared/host-api';
import { setHost } from '../../renderer/src/client/host';
import { wireEvents } from '../../renderer/src/client/wire-events';
import { useChatsStore } from '../../renderer/src/stores/chats';
import { useConversationsStore } from '../../renderer/src/stores/conversations';
import { usePeersStore } from '../../renderer/src/stores/peers';
import { useSettingsStore } from '../../renderer/src/stores/settings';
import type { FerryNode } from '../../electron/core/ferry-node';
import { startNode } from '../helpers/nodes';
import { waitUntil } from '../helpers/wait';

/** What the preload builds over IPC, built directly on the engine. */
function hostFor(node: FerryNode): FerryHost {
  const api = Object.fromEntries(
    Object.getOwnPropertyNames(Object.getPrototypeOf(node))
      .filter((k) => k !== 'constructor' && typeof (node as unknown as Record<string, unknown>)[k] === 'function')
      .map((k) => [
        k,
        (...a: unknown[]) => (node as unknown as Record<string, (...x: unknown[]) => unknown>)[k]!(...a),
      ]),
  );
  return {
    ...api,
    host: 'electron',
    onEvent: (l: (e: FerryEvent) => void) => node.subscribe(l),
  } as unknown as FerryHost;
}

const until = (check: () => boolean, what: string, timeoutMs = 10_000) => waitUntil(check, { what, timeoutMs });

describe('renderer stores on a real engine', () => {
  it('adds a peer, chats both ways, tracks delivery, unread counts and read receipts', async () => {
    const a = await startNode('Alice');
    const b = await startNode('Bob');
    setActivePinia(createPinia());
    const host = hostFor(a.node);
    setHost(host);
    let visible = true;
    wireEvents(host, () => visible);
    const peers = usePeersStore();
    const chats = useChatsStore();
    const conversations = useConversationsStore();
    const settings = useSettingsStore();
    await Promise.all([settings.load(), peers.load(), conversations.load()]);
    expect(settings.self?.name).toBe('Alice');
    expect(peers.sorted).toEqual([]);

    // A bad address: the store keeps the coded error for the dialog.
    expect(await peers.add('127.0.0.1:1')).toBeNull();
    expect(peers.addError?.code).toBe('PEER_UNREACHABLE');

    const bob = (await peers.add(b.address))!;
    expect(bob.name).toBe('Bob');
    expect(peers.addError).toBeNull();
    await until(() => peers.byId[bob.id]?.online === true, 'Bob online');

    peers.select(bob.id);
    const withBob = `direct:${bob.id}`;
    await chats.open(withBob);
    expect(await chats.send(withBob, 'hi Bob')).toBe(true);
    const conversation = () => chats.conversation(withBob);
    await until(() => conversation().messages[0]?.state === 'delivered', 'delivered');
    await b.waitFor('messageAdded', (m) => m.text === 'hi Bob');

    // Bob answers while the conversation is open and visible: it appears, and is read at once.
    const aliceOnB = (await b.node.listPeers())[0]!;
    const reply = await b.node.sendMessage(`direct:${aliceOnB.id}`, 'hi Alice');
    await until(() => conversation().messages.some((m) => m.id === reply.id), 'reply shown');
    await b.waitFor('messageUpdated', (m) => m.id === reply.id && m.state === 'read');
    await until(() => conversations.ofPeer(bob.id)?.lastMessage?.text === 'hi Alice', 'the summary’s last line');
    await until(() => conversations.ofPeer(bob.id)?.unread === 0, 'read at once');

    // With the window hidden, messages count as unread in the sidebar.
    visible = false;
    await b.node.sendMessage(`direct:${aliceOnB.id}`, 'are you there?');
    await b.node.sendMessage(`direct:${aliceOnB.id}`, 'hello?');
    await until(() => conversations.ofPeer(bob.id)?.unread === 2, 'two unread');
    await until(() => conversations.totalUnread === 2, 'the engine’s total: 2');

    // History search goes through the engine's index.
    await chats.search('there');
    expect(chats.searchHits.map((h) => h.message.text)).toEqual(['are you there?']);

    // Sending to a peer the engine doesn't know fails with a code, the draft is the composer's to keep.
    expect(await chats.send(`direct:ferry:${'f'.repeat(64)}`, 'lost')).toBe(false);
    expect(chats.conversation(`direct:ferry:${'f'.repeat(64)}`).sendError?.code).toBe('PEER_UNKNOWN');

    // Settings round-trip, including the pushed settingsUpdated.
    expect(await settings.update({ displayName: 'Alice B.', theme: 'dark' })).toBe(true);
    expect(settings.settings?.theme).toBe('dark');
    expect(settings.self?.name).toBe('Alice B.');
  });
});

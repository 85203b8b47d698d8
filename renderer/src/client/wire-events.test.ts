import { createTestingPinia } from '@pinia/testing';
import { describe, expect, it, vi } from 'vitest';
import { useChatsStore } from '../stores/chats';
import { useConversationsStore } from '../stores/conversations';
import { usePeersStore } from '../stores/peers';
import { useTransfersStore } from '../stores/transfers';
import { useUiStore } from '../stores/ui';
import { BOB, CAROL, conversation, fakeHost, message, peer, transfer } from '../testing/fake-host';
import { setHost } from './host';
import { wireEvents } from './wire-events';

function setup(visible = true) {
  const host = fakeHost();
  setHost(host);
  createTestingPinia({ createSpy: vi.fn, stubActions: false });
  const off = wireEvents(host, () => visible);
  const peers = usePeersStore();
  peers.byId = { [BOB]: peer(), [CAROL]: peer({ id: CAROL, name: 'Carol' }) };
  return {
    host,
    off,
    peers,
    conversations: useConversationsStore(),
    chats: useChatsStore(),
    transfers: useTransfersStore(),
    ui: useUiStore(),
  };
}

describe('wireEvents', () => {
  it('marks the open conversation read when a message arrives, never a closed one', async () => {
    const { host, peers, conversations } = setup();
    peers.select(BOB);
    host.emit({ name: 'messageAdded', payload: message({ peerId: CAROL, text: 'hey' }) });
    host.emit({ name: 'messageAdded', payload: message({ peerId: BOB, text: 'yo' }) });
    expect(host.markRead).toHaveBeenCalledWith(`direct:${BOB}`);
    expect(host.markRead).not.toHaveBeenCalledWith(`direct:${CAROL}`);
    // Counting is the engine's job: a message alone changes no count here.
    expect(conversations.ofPeer(CAROL)).toBeUndefined();
    expect(conversations.totalUnread).toBe(0);
  });

  it("shows the engine's unread counts, last message and total", () => {
    const { host, conversations } = setup();
    const hey = message({ peerId: CAROL, text: 'hey' });
    host.emit({
      name: 'conversationUpdated',
      payload: conversation(CAROL, { unread: 3, lastActivity: 5, lastMessage: hey }),
    });
    host.emit({ name: 'unreadTotal', payload: { count: 7 } });
    expect(conversations.ofPeer(CAROL)?.unread).toBe(3);
    expect(conversations.ofPeer(CAROL)?.lastMessage?.text).toBe('hey');
    expect(conversations.ofPeer(BOB)?.unread ?? 0).toBe(0);
    expect(conversations.totalUnread).toBe(7);
  });

  it('a hidden window does not mark anything read', () => {
    const { host, peers } = setup(false);
    peers.select(BOB);
    host.emit({ name: 'messageAdded', payload: message({ peerId: BOB }) });
    expect(host.markRead).not.toHaveBeenCalled();
  });

  it('routes peer, message, transfer and progress events to their stores', async () => {
    const { host, peers, chats, transfers } = setup();
    host.emit({ name: 'peerUpdated', payload: peer({ online: false }) });
    expect(peers.byId[BOB]!.online).toBe(false);
    host.emit({ name: 'peerRemoved', payload: { id: CAROL } });
    expect(peers.byId[CAROL]).toBeUndefined();

    await chats.open(`direct:${BOB}`);
    const m = message({ direction: 'out', state: 'sent' });
    host.emit({ name: 'messageAdded', payload: m });
    host.emit({ name: 'messageUpdated', payload: { ...m, state: 'delivered' } });
    expect(chats.conversation(`direct:${BOB}`).messages.map((x) => x.state)).toEqual(['delivered']);

    const t = transfer({ state: 'active' });
    host.emit({ name: 'transferUpdated', payload: t });
    host.emit({
      name: 'transferProgress',
      payload: {
        id: t.id,
        bytesDone: 1_000_000,
        totalBytes: 2_000_000,
        speed: 500_000,
        etaSeconds: 2,
        fileIndex: 0,
        fileBytesDone: 1_000_000,
      },
    });
    expect(transfers.byId[t.id]).toMatchObject({ bytesDone: 1_000_000, speed: 500_000, etaSeconds: 2 });
    expect(transfers.byId[t.id]!.files[0]).toMatchObject({ bytesDone: 1_000_000, state: 'active' });
    expect(transfers.activeCount).toBe(1);
  });

  it('keeps app-wide warnings for the banner, not per-peer chatter', () => {
    const { host, ui } = setup();
    host.emit({ name: 'notice', payload: { level: 'warn', code: 'IDLE_TIMEOUT', message: 'x', peerId: BOB } });
    host.emit({ name: 'notice', payload: { level: 'info', code: 'RESTART_NEEDED', message: 'x' } });
    // A refused connection shows where it was made (the add dialog), not a second time as a banner.
    host.emit({ name: 'notice', payload: { level: 'warn', code: 'SELF_CONNECTION', message: '127.0.0.1:1: self' } });
    host.emit({ name: 'notice', payload: { level: 'warn', code: 'TLS_FAILED', message: 'refused a connection' } });
    expect(ui.notice).toBeNull();
    host.emit({ name: 'notice', payload: { level: 'warn', code: 'PORT_IN_USE', message: 'port 47820 is in use' } });
    expect(ui.notice?.code).toBe('PORT_IN_USE');
  });

  it('stops listening when unwired', () => {
    const { host, off, peers } = setup();
    off();
    host.emit({ name: 'peerRemoved', payload: { id: BOB } });
    expect(peers.byId[BOB]).toBeDefined();
  });
});

/**
 * A stand-in for `window.ferry` in component tests (happy-dom has no engine):
 * every request is a vi.fn with a plausible default, and `emit` pushes events
 * the way the engine would. The real engine behind the real renderer is
 * exercised by test/integration/renderer-stores.test.ts and test/e2e/.
 */
import { vi } from 'vitest';
import type { FerryEvent } from '../../../shared/api';
import { directConversationId, directPeerOf } from '../../../shared/conversation-id';
import type { ConversationDto, MessageDto, PeerDto, SettingsDto, TransferDto } from '../../../shared/dto';
import type { FerryHost } from '../../../shared/host-api';

export const ALICE = `ferry:${'a'.repeat(64)}`;
export const BOB = `ferry:${'b'.repeat(64)}`;
export const CAROL = `ferry:${'c'.repeat(64)}`;

export function settings(over: Partial<SettingsDto> = {}): SettingsDto {
  return {
    displayName: 'Alice',
    downloadDir: '/home/alice/Downloads/Ferry',
    port: 47820,
    discovery: true,
    ipmsg: true,
    autoAcceptVerified: false,
    language: 'en',
    theme: 'system',
    closeToTray: true,
    ...over,
  };
}

export function peer(over: Partial<PeerDto> = {}): PeerDto {
  return {
    id: BOB,
    protocol: 'ferry',
    capabilities: {
      encrypted: true,
      verifiable: true,
      chat: true,
      receipts: true,
      files: true,
      folders: true,
      resume: true,
      groups: false,
      recall: true,
    },
    name: 'Bob',
    announcedName: 'Bob',
    alias: null,
    platform: 'linux',
    online: true,
    lastSeen: Date.now(),
    addresses: ['192.168.1.20:47820'],
    verified: false,
    blocked: false,
    certChanged: false,
    manual: true,
    ...over,
  };
}

let seq = 0;
export function message(over: Partial<MessageDto> = {}): MessageDto {
  seq++;
  const peerId = over.peerId ?? BOB;
  return {
    id: crypto.randomUUID(),
    seq,
    conversationId: directConversationId(peerId),
    peerId,
    direction: 'in',
    text: `message ${seq}`,
    replyTo: null,
    sentAt: Date.now(),
    storedAt: Date.now(),
    state: 'delivered',
    ...over,
  };
}

export function transfer(over: Partial<TransferDto> = {}): TransferDto {
  const peerId = over.peerId ?? BOB;
  return {
    id: crypto.randomUUID(),
    conversationId: directConversationId(peerId),
    peerId,
    direction: 'in',
    state: 'offered',
    createdAt: Date.now(),
    updatedAt: Date.now(),
    files: [
      {
        path: 'report.pdf',
        size: 2_000_000,
        isDirectory: false,
        bytesDone: 0,
        state: 'pending',
        savedPath: null,
        error: null,
      },
    ],
    fileCount: 1,
    totalBytes: 2_000_000,
    bytesDone: 0,
    speed: 0,
    etaSeconds: null,
    saveDir: null,
    error: null,
    ...over,
  };
}

/** The engine's summary of the direct conversation with a peer. */
export function conversation(peerId: string = BOB, over: Partial<ConversationDto> = {}): ConversationDto {
  return {
    id: directConversationId(peerId),
    kind: 'direct',
    peerId,
    unread: 0,
    muted: false,
    lastActivity: null,
    lastMessage: null,
    ...over,
  };
}

export type FakeHost = FerryHost & { emit(event: FerryEvent): void };

export function fakeHost(over: Partial<FerryHost> = {}): FakeHost {
  const listeners = new Set<(e: FerryEvent) => void>();
  const host = {
    host: 'electron',
    getSelf: vi.fn(async () => ({
      id: ALICE,
      name: 'Alice',
      platform: 'linux',
      port: 47820,
      addresses: ['192.168.1.10'],
      protocolVersion: 1,
    })),
    listPeers: vi.fn(async () => []),
    addPeer: vi.fn(async () => peer()),
    sendMessage: vi.fn(async (conversationId: string, text: string, o?: { id?: string }) =>
      message({
        id: o?.id ?? crypto.randomUUID(),
        peerId: directPeerOf(conversationId) ?? BOB,
        text,
        direction: 'out',
        state: 'sent',
      }),
    ),
    listMessages: vi.fn(async () => ({ messages: [], hasMore: false })),
    searchMessages: vi.fn(async () => []),
    searchFiles: vi.fn(async () => []),
    markRead: vi.fn(async () => undefined),
    listConversations: vi.fn(async () => []),
    setConversationMuted: vi.fn(async (id: string, muted: boolean) => ({
      ...conversation(directPeerOf(id) ?? BOB),
      muted,
    })),
    getDraft: vi.fn(async () => ''),
    deleteMessage: vi.fn(async () => undefined),
    recallMessage: vi.fn(async (conversationId: string, id: string) =>
      message({ conversationId, id, direction: 'out', text: '', recalledAt: Date.now() }),
    ),
    setDraft: vi.fn(async () => undefined),
    getVerificationCode: vi.fn(async () => '1234 5678 9012'),
    setPeerVerified: vi.fn(async (id: string, verified: boolean) => peer({ id, verified })),
    renamePeer: vi.fn(async (id: string, alias: string | null) => peer({ id, alias, name: alias ?? 'Bob' })),
    setPeerBlocked: vi.fn(async (id: string, blocked: boolean) => peer({ id, blocked })),
    forgetPeer: vi.fn(async () => undefined),
    getSettings: vi.fn(async () => settings()),
    updateSettings: vi.fn(async (patch: Partial<SettingsDto>) => settings(patch)),
    sendFiles: vi.fn(async (conversationId: string) =>
      transfer({ peerId: directPeerOf(conversationId) ?? BOB, direction: 'out' }),
    ),
    acceptTransfer: vi.fn(async (id: string) => transfer({ id, state: 'active' })),
    declineTransfer: vi.fn(async (id: string) => transfer({ id, state: 'declined' })),
    cancelTransfer: vi.fn(async (id: string) => transfer({ id, state: 'cancelled' })),
    resumeTransfer: vi.fn(async (id: string) => transfer({ id, state: 'active' })),
    resendTransfer: vi.fn(async () => transfer({ id: crypto.randomUUID(), direction: 'out', state: 'offered' })),
    listTransfers: vi.fn(async () => []),
    readImage: vi.fn(async () => null),
    saveThumbnail: vi.fn(async () => undefined),
    onEvent(listener: (e: FerryEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event: FerryEvent) {
      for (const l of listeners) l(event);
    },
    ...over,
  };
  return host as unknown as FakeHost;
}

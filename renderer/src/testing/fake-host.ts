/**
 * A stand-in for `window.ferry` in component tests (happy-dom has no engine):
 * every request is a vi.fn with a plausible default, and `emit` pushes events
 * the way the engine would. The real engine behind the real renderer is
 * exercised by test/integration/renderer-stores.test.ts and test/e2e/.
 */
import { vi } from 'vitest';
import type { FerryEvent } from '../../../shared/api';
import type { MessageDto, PeerDto, SettingsDto, TransferDto } from '../../../shared/dto';
import type { FerryHost } from '../../../shared/host-api';

export const ALICE = 'a'.repeat(64);
export const BOB = 'b'.repeat(64);
export const CAROL = 'c'.repeat(64);

export function settings(over: Partial<SettingsDto> = {}): SettingsDto {
  return {
    displayName: 'Alice',
    downloadDir: '/home/alice/Downloads/Ferry',
    port: 47820,
    discovery: true,
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
    unread: 0,
    lastMessage: null,
    ...over,
  };
}

let seq = 0;
export function message(over: Partial<MessageDto> = {}): MessageDto {
  seq++;
  return {
    id: crypto.randomUUID(),
    seq,
    peerId: BOB,
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
  return {
    id: crypto.randomUUID(),
    peerId: BOB,
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
    sendMessage: vi.fn(async (peerId: string, text: string, o?: { id?: string }) =>
      message({ id: o?.id ?? crypto.randomUUID(), peerId, text, direction: 'out', state: 'sent' }),
    ),
    listMessages: vi.fn(async () => ({ messages: [], hasMore: false })),
    searchMessages: vi.fn(async () => []),
    markRead: vi.fn(async () => undefined),
    getVerificationCode: vi.fn(async () => '1234 5678 9012'),
    setPeerVerified: vi.fn(async (id: string, verified: boolean) => peer({ id, verified })),
    renamePeer: vi.fn(async (id: string, alias: string | null) => peer({ id, alias, name: alias ?? 'Bob' })),
    setPeerBlocked: vi.fn(async (id: string, blocked: boolean) => peer({ id, blocked })),
    forgetPeer: vi.fn(async () => undefined),
    getSettings: vi.fn(async () => settings()),
    updateSettings: vi.fn(async (patch: Partial<SettingsDto>) => settings(patch)),
    sendFiles: vi.fn(async (peerId: string) => transfer({ peerId, direction: 'out' })),
    acceptTransfer: vi.fn(async (id: string) => transfer({ id, state: 'active' })),
    declineTransfer: vi.fn(async (id: string) => transfer({ id, state: 'declined' })),
    cancelTransfer: vi.fn(async (id: string) => transfer({ id, state: 'cancelled' })),
    resumeTransfer: vi.fn(async (id: string) => transfer({ id, state: 'active' })),
    listTransfers: vi.fn(async () => []),
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

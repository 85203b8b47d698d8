/** Routes the engine's pushed events into the stores. One subscription for the whole app. */
import type { FerryEvent } from '../../../shared/api';
import { directConversationId } from '../../../shared/conversation-id';
import type { FerryHost } from '../../../shared/host-api';
import { useChatsStore } from '../stores/chats';
import { useConversationsStore } from '../stores/conversations';
import { usePeersStore } from '../stores/peers';
import { useSettingsStore } from '../stores/settings';
import { useTransfersStore } from '../stores/transfers';
import { useUiStore } from '../stores/ui';

/**
 * Refusals that belong to one connection attempt: they show where that attempt was
 * made (the add-by-address dialog, the peer's conversation), never a second time as
 * an app-wide banner that outlives them.
 */
const CONNECTION_CODES = new Set([
  'TLS_FAILED',
  'SELF_CONNECTION',
  'PEER_ID_MISMATCH',
  'PEER_CERT_CHANGED',
  'PEER_BLOCKED',
  'PEER_UNREACHABLE',
  'PROTOCOL_VERSION',
  'HANDSHAKE_TIMEOUT',
  'IDLE_TIMEOUT',
  'BAD_FRAME',
  'FRAME_TOO_LARGE',
  'UNKNOWN_FRAME',
  'PEER_GONE',
]);

export function wireEvents(
  host: FerryHost,
  isVisible: () => boolean = () => document.visibilityState === 'visible',
): () => void {
  const peers = usePeersStore();
  const conversations = useConversationsStore();
  const chats = useChatsStore();
  const transfers = useTransfersStore();
  const settings = useSettingsStore();
  const ui = useUiStore();

  const off = host.onEvent((event: FerryEvent) => {
    peers.applyEvent(event);
    conversations.applyEvent(event);
    chats.applyEvent(event);
    transfers.applyEvent(event);
    settings.applyEvent(event);
    if (event.name === 'notice') {
      // Per-peer notices (connects, drops, retries) show up as the peer's state instead.
      const notice = event.payload;
      if (!notice.peerId && notice.level !== 'info' && !CONNECTION_CODES.has(notice.code)) ui.notice = notice;
    }
    if (event.name === 'messageAdded') {
      const message = event.payload;
      // Read at once when its conversation is open and visible (the engine then pushes the new count).
      const open = peers.selectedId !== null && directConversationId(peers.selectedId) === message.conversationId;
      if (open && isVisible() && message.direction === 'in') void chats.markRead(message.conversationId);
    }
  });
  const offOpen = host.onOpenConversation?.((peerId) => peers.select(peerId));
  return () => {
    off();
    offOpen?.();
  };
}

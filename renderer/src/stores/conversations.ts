import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { FerryEvent } from '../../../shared/api';
import { directConversationId } from '../../../shared/conversation-id';
import type { ConversationDto } from '../../../shared/dto';
import { useHost } from '../client/host';

/**
 * Conversation summaries (unread count, last message, last activity, muted) and the unread
 * total, exactly as the engine pushes them: nothing here is counted by the renderer.
 */
export const useConversationsStore = defineStore('conversations', () => {
  const byId = ref<Record<string, ConversationDto>>({});
  /** Unread messages everywhere: the engine's count (its `unreadTotal` events). */
  const totalUnread = ref(0);

  async function load(): Promise<void> {
    const list = await useHost().listConversations();
    byId.value = Object.fromEntries(list.map((c) => [c.id, c]));
    // Until the engine's next unreadTotal event, the sum of the counts it just gave.
    totalUnread.value = list.reduce((n, c) => n + c.unread, 0);
  }

  /** The summary of the direct conversation with a peer (undefined while it is empty). */
  function ofPeer(peerId: string): ConversationDto | undefined {
    return byId.value[directConversationId(peerId)];
  }

  /** Mutes or unmutes a conversation; resolves false (and keeps the state) when the engine refused. */
  async function setMuted(conversationId: string, muted: boolean): Promise<boolean> {
    try {
      const summary = await useHost().setConversationMuted(conversationId, muted);
      byId.value = { ...byId.value, [summary.id]: summary };
      return true;
    } catch {
      return false;
    }
  }

  function applyEvent(event: FerryEvent): void {
    if (event.name === 'conversationUpdated') {
      byId.value = { ...byId.value, [event.payload.id]: event.payload };
    } else if (event.name === 'unreadTotal') {
      totalUnread.value = event.payload.count;
    }
  }

  return { byId, totalUnread, load, ofPeer, setMuted, applyEvent };
});

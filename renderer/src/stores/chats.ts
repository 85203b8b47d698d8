import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { FerryEvent } from '../../../shared/api';
import type { FileHit, MessageDto, SearchHit } from '../../../shared/dto';
import { directConversationId } from '../../../shared/conversation-id';
import { useHost } from '../client/host';
import { toUiError, type UiError } from '../client/request-error';

export const PAGE_SIZE = 50;

export interface Conversation {
  /** Oldest first; only the pages loaded so far. */
  messages: MessageDto[];
  hasMore: boolean;
  loading: boolean;
  loaded: boolean;
  loadError: UiError | null;
  sendError: UiError | null;
  /** The message the next one sent here replies to. */
  replyingTo: MessageDto | null;
}

function emptyConversation(): Conversation {
  return {
    messages: [],
    hasMore: false,
    loading: false,
    loaded: false,
    loadError: null,
    sendError: null,
    replyingTo: null,
  };
}

/** Inserts or replaces by id, keeping seq order (appends are the common case). */
export function upsertMessage(list: MessageDto[], message: MessageDto): MessageDto[] {
  const at = list.findIndex((m) => m.id === message.id);
  if (at >= 0) {
    const next = list.slice();
    next[at] = message;
    return next;
  }
  const last = list[list.length - 1];
  if (!last || last.seq < message.seq) return [...list, message];
  const index = list.findIndex((m) => m.seq > message.seq);
  return [...list.slice(0, index), message, ...list.slice(index)];
}

/** Chat history per conversation (`direct:<peer id>`), paged from the newest end, plus history search. */
export const useChatsStore = defineStore('chats', () => {
  const conversations = ref<Record<string, Conversation>>({});
  const searchQuery = ref('');
  const searchHits = ref<SearchHit[]>([]);
  /** Files and folders whose name matches the search. */
  const fileHits = ref<FileHit[]>([]);
  const searching = ref(false);
  const searchError = ref<UiError | null>(null);
  /** A message to bring into view (a search hit was opened). */
  const focus = ref<{ conversationId: string; messageId: string } | null>(null);

  function conversation(conversationId: string): Conversation {
    if (!conversations.value[conversationId]) conversations.value[conversationId] = emptyConversation();
    return conversations.value[conversationId]!;
  }

  const opening = new Map<string, Promise<number>>();

  /** Loads the newest page the first time a conversation is opened (concurrent callers share the load). */
  async function open(conversationId: string): Promise<void> {
    if (conversation(conversationId).loaded) return;
    let pending = opening.get(conversationId);
    if (!pending) {
      pending = loadPage(conversationId, undefined).finally(() => opening.delete(conversationId));
      opening.set(conversationId, pending);
    }
    await pending;
  }

  /** Loads the page before the oldest loaded message; returns how many arrived. */
  async function loadOlder(conversationId: string): Promise<number> {
    const c = conversation(conversationId);
    if (c.loading || !c.hasMore) return 0;
    return loadPage(conversationId, c.messages[0]?.seq);
  }

  async function loadPage(conversationId: string, before: number | undefined): Promise<number> {
    const c = conversation(conversationId);
    c.loading = true;
    c.loadError = null;
    try {
      const page = await useHost().listMessages(
        conversationId,
        before === undefined ? { limit: PAGE_SIZE } : { before, limit: PAGE_SIZE },
      );
      const known = new Set(c.messages.map((m) => m.id));
      const older = page.messages.filter((m) => !known.has(m.id));
      c.messages = before === undefined ? mergeNewest(c.messages, page.messages) : [...older, ...c.messages];
      c.hasMore = page.hasMore;
      c.loaded = true;
      return older.length;
    } catch (err) {
      c.loadError = toUiError(err);
      return 0;
    } finally {
      c.loading = false;
    }
  }

  function mergeNewest(current: MessageDto[], page: MessageDto[]): MessageDto[] {
    let list = page.slice();
    for (const m of current) list = upsertMessage(list, m);
    return list;
  }

  /** Sends text; on failure keeps it in `sendError` and returns false so the composer keeps the draft. */
  async function send(conversationId: string, text: string): Promise<boolean> {
    const c = conversation(conversationId);
    c.sendError = null;
    try {
      const replyTo = c.replyingTo?.id;
      const message = await useHost().sendMessage(conversationId, text, {
        id: crypto.randomUUID(),
        ...(replyTo ? { replyTo } : {}),
      });
      c.messages = upsertMessage(c.messages, message);
      if (c.replyingTo?.id === replyTo) c.replyingTo = null;
      return true;
    } catch (err) {
      c.sendError = toUiError(err);
      return false;
    }
  }

  async function markRead(conversationId: string): Promise<void> {
    try {
      await useHost().markRead(conversationId);
    } catch {
      // Read receipts are best effort; the next open tries again.
    }
  }

  async function search(query: string): Promise<void> {
    searchQuery.value = query;
    searchError.value = null;
    if (!query.trim()) {
      searchHits.value = [];
      fileHits.value = [];
      return;
    }
    searching.value = true;
    try {
      const [hits, files] = await Promise.all([useHost().searchMessages(query), useHost().searchFiles(query)]);
      if (searchQuery.value === query) {
        searchHits.value = hits;
        fileHits.value = files;
      }
    } catch (err) {
      searchError.value = toUiError(err);
    } finally {
      searching.value = false;
    }
  }

  /**
   * Loads older pages until `messageId` is loaded (at most `maxPages`), for
   * jumping to a search hit; returns whether it is now loaded.
   */
  async function loadUntil(conversationId: string, messageId: string, maxPages = 40): Promise<boolean> {
    await open(conversationId);
    for (let i = 0; i < maxPages; i++) {
      const c = conversation(conversationId);
      if (c.messages.some((m) => m.id === messageId)) return true;
      if (!c.hasMore || !(await loadOlder(conversationId))) break;
    }
    return conversation(conversationId).messages.some((m) => m.id === messageId);
  }

  /** Messages are only added to conversations already loaded; others load fresh when opened. */
  function applyEvent(event: FerryEvent): void {
    if (event.name === 'peerUpdated') {
      // Unblocked: the "unblock to send" error above the composer has lost its cause.
      const peer = event.payload;
      const c = conversations.value[directConversationId(peer.id)];
      if (c && !peer.blocked && c.sendError?.code === 'PEER_BLOCKED') c.sendError = null;
      return;
    }
    if (event.name === 'messageRemoved') {
      const c = conversations.value[event.payload.conversationId];
      if (c) {
        c.messages = c.messages.filter((m) => m.id !== event.payload.id);
        if (c.replyingTo?.id === event.payload.id) c.replyingTo = null;
      }
      return;
    }
    if (event.name !== 'messageAdded' && event.name !== 'messageUpdated') return;
    const message = event.payload;
    const c = conversations.value[message.conversationId];
    // A recalled message has nothing left to reply to.
    if (c && message.recalledAt !== undefined && c.replyingTo?.id === message.id) c.replyingTo = null;
    if (!c || !c.loaded) return;
    c.messages = upsertMessage(c.messages, message);
  }

  return {
    conversations,
    searchQuery,
    searchHits,
    fileHits,
    searching,
    searchError,
    focus,
    conversation,
    loadUntil,
    open,
    loadOlder,
    send,
    markRead,
    search,
    applyEvent,
  };
});

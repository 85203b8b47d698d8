import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { FerryEvent } from '../../../shared/api';
import type { ConversationDto, PeerDto } from '../../../shared/dto';
import { useHost } from '../client/host';
import { toUiError, type UiError } from '../client/request-error';
import { useConversationsStore } from './conversations';

/** Last activity (a message, a file — the engine's summary — or being seen), for ordering the sidebar. */
export function lastActivity(peer: PeerDto, summary?: ConversationDto): number {
  return Math.max(summary?.lastActivity ?? 0, peer.lastSeen ?? 0);
}

/** Known devices, the open conversation, and the sidebar filter. */
export const usePeersStore = defineStore('peers', () => {
  const byId = ref<Record<string, PeerDto>>({});
  const selectedId = ref<string | null>(null);
  const filter = ref('');
  const loaded = ref(false);
  const adding = ref(false);
  const addError = ref<UiError | null>(null);

  const conversations = useConversationsStore();
  const activity = (p: PeerDto) => lastActivity(p, conversations.ofPeer(p.id));
  const sorted = computed(() =>
    Object.values(byId.value).sort((a, b) => activity(b) - activity(a) || a.name.localeCompare(b.name)),
  );
  const visible = computed(() => {
    const q = filter.value.trim().toLocaleLowerCase();
    if (!q) return sorted.value;
    return sorted.value.filter((p) => p.name.toLocaleLowerCase().includes(q) || p.addresses.some((a) => a.includes(q)));
  });
  const selected = computed(() => (selectedId.value ? (byId.value[selectedId.value] ?? null) : null));

  async function load(): Promise<void> {
    const peers = await useHost().listPeers();
    byId.value = Object.fromEntries(peers.map((p) => [p.id, p]));
    loaded.value = true;
  }

  function select(id: string | null): void {
    selectedId.value = id;
  }

  /** Dials an address; resolves with the peer, or null with `addError` set. */
  async function add(address: string): Promise<PeerDto | null> {
    adding.value = true;
    addError.value = null;
    try {
      const peer = await useHost().addPeer(address);
      byId.value = { ...byId.value, [peer.id]: peer };
      return peer;
    } catch (err) {
      addError.value = toUiError(err);
      return null;
    } finally {
      adding.value = false;
    }
  }

  function put(peer: PeerDto): void {
    byId.value = { ...byId.value, [peer.id]: peer };
  }

  /** Per peer: the last failed rename / block / forget (shown in the peer's dialog). */
  const actionErrors = ref<Record<string, UiError>>({});

  async function act(id: string, run: () => Promise<PeerDto | void>): Promise<boolean> {
    const next = { ...actionErrors.value };
    delete next[id];
    actionErrors.value = next;
    try {
      const peer = await run();
      if (peer) put(peer);
      return true;
    } catch (err) {
      actionErrors.value = { ...actionErrors.value, [id]: toUiError(err) };
      return false;
    }
  }

  const rename = (id: string, alias: string | null) => act(id, () => useHost().renamePeer(id, alias));
  const setBlocked = (id: string, blocked: boolean) => act(id, () => useHost().setPeerBlocked(id, blocked));
  async function forget(id: string): Promise<boolean> {
    const ok = await act(id, () => useHost().forgetPeer(id));
    if (ok) applyEvent({ name: 'peerRemoved', payload: { id } });
    return ok;
  }

  function patch(id: string, changes: Partial<PeerDto>): void {
    const peer = byId.value[id];
    if (peer) byId.value = { ...byId.value, [id]: { ...peer, ...changes } };
  }

  function applyEvent(event: FerryEvent): void {
    if (event.name === 'peerUpdated') {
      const peer = event.payload;
      byId.value = { ...byId.value, [peer.id]: peer };
    } else if (event.name === 'peerRemoved') {
      const { id } = event.payload;
      const next = { ...byId.value };
      delete next[id];
      byId.value = next;
      if (selectedId.value === id) selectedId.value = null;
    }
  }

  return {
    byId,
    selectedId,
    filter,
    loaded,
    adding,
    addError,
    sorted,
    visible,
    selected,
    load,
    select,
    add,
    put,
    patch,
    actionErrors,
    rename,
    setBlocked,
    forget,
    applyEvent,
  };
});

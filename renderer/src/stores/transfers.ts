import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { FerryEvent } from '../../../shared/api';
import { directConversationId } from '../../../shared/conversation-id';
import type { TransferDto } from '../../../shared/dto';
import type { UploadEntry, UploadProgress } from '../client/browser-upload';
import { pathsForEntries, useHost } from '../client/host';
import { toUiError, type UiError } from '../client/request-error';
import { inlinePicture, usePicturesStore } from './pictures';
import { useChatsStore } from './chats';

export const ACTIVE_STATES: TransferDto['state'][] = ['offered', 'active', 'paused'];

/** File transfers (both directions), live progress, and the errors of each action. */
export const useTransfersStore = defineStore('transfers', () => {
  const byId = ref<Record<string, TransferDto>>({});
  /** Per transfer: the last failed action (shown on its card). */
  const errors = ref<Record<string, UiError>>({});
  /** Per peer: a failed send (shown over the composer). */
  const sendErrors = ref<Record<string, UiError>>({});
  const sending = ref<Record<string, boolean>>({});
  /** Per peer: bytes handed to the engine so far while browser mode stages an upload. */
  const uploads = ref<Record<string, UploadProgress>>({});

  const all = computed(() => Object.values(byId.value).sort((a, b) => b.createdAt - a.createdAt));
  const activeCount = computed(() => all.value.filter((t) => ACTIVE_STATES.includes(t.state)).length);
  /** Per peer: its newest transfer (for the sidebar's last line and time). */
  const latestByPeer = computed(() => {
    const out: Record<string, TransferDto> = {};
    for (const t of Object.values(byId.value)) {
      const seen = out[t.peerId];
      if (!seen || t.createdAt > seen.createdAt) out[t.peerId] = t;
    }
    return out;
  });

  function forConversation(conversationId: string): TransferDto[] {
    return all.value.filter((t) => t.conversationId === conversationId);
  }

  function put(t: TransferDto): void {
    byId.value = { ...byId.value, [t.id]: t };
  }

  async function load(conversationId?: string): Promise<void> {
    const list = await useHost().listTransfers(conversationId);
    const next = { ...byId.value };
    for (const t of list) next[t.id] = t;
    byId.value = next;
  }

  function clearSendError(peerId: string): void {
    if (!sendErrors.value[peerId]) return;
    const next = { ...sendErrors.value };
    delete next[peerId];
    sendErrors.value = next;
  }

  /** Offers absolute paths to a peer. */
  async function sendPaths(peerId: string, paths: string[]): Promise<TransferDto | null> {
    clearSendError(peerId);
    sending.value = { ...sending.value, [peerId]: true };
    try {
      const t = await useHost().sendFiles(directConversationId(peerId), paths);
      put(t);
      // A file offer that went out settles the composer's last failed text send too.
      useChatsStore().conversation(directConversationId(peerId)).sendError = null;
      return t;
    } catch (err) {
      sendErrors.value = { ...sendErrors.value, [peerId]: toUiError(err) };
      return null;
    } finally {
      sending.value = { ...sending.value, [peerId]: false };
    }
  }

  /** Dropped or picked files: resolved to paths by the host (a real path, or an upload), then offered. */
  function sendFiles(peerId: string, files: File[]): Promise<TransferDto | null> {
    return sendEntries(
      peerId,
      files.map((file) => ({ path: file.name, file })),
    );
  }

  /** Dropped or picked files and folders (paths inside the drop), staged if need be, then offered. */
  async function sendEntries(peerId: string, entries: UploadEntry[]): Promise<TransferDto | null> {
    if (!entries.length) return null;
    clearSendError(peerId);
    sending.value = { ...sending.value, [peerId]: true };
    let paths: string[];
    try {
      paths = await pathsForEntries(useHost(), entries, (p) => {
        uploads.value = { ...uploads.value, [peerId]: p };
      });
    } catch (err) {
      sendErrors.value = { ...sendErrors.value, [peerId]: toUiError(err) };
      sending.value = { ...sending.value, [peerId]: false };
      return null;
    } finally {
      const next = { ...uploads.value };
      delete next[peerId];
      uploads.value = next;
    }
    const t = await sendPaths(peerId, paths);
    const picture = t && inlinePicture(t);
    const only = entries.length === 1 ? entries[0]!.file : undefined;
    // Sent from memory (a paste, a browser upload): the copy it was sent from may not stay.
    if (t && picture && only && !useHost().getPathForFile?.(only))
      usePicturesStore().adopt({ transferId: t.id, index: 0 }, only, picture.image);
    return t;
  }

  async function act(id: string, run: () => Promise<TransferDto>): Promise<boolean> {
    const next = { ...errors.value };
    delete next[id];
    errors.value = next;
    try {
      put(await run());
      return true;
    } catch (err) {
      errors.value = { ...errors.value, [id]: toUiError(err) };
      return false;
    }
  }

  const accept = (id: string) => act(id, () => useHost().acceptTransfer(id));
  const decline = (id: string) => act(id, () => useHost().declineTransfer(id));
  const cancel = (id: string) => act(id, () => useHost().cancelTransfer(id));
  const resume = (id: string) => act(id, () => useHost().resumeTransfer(id));
  /** Sends an ended outgoing transfer's files again (a new card); an error stays on the old one. */
  const resend = (id: string) => act(id, () => useHost().resendTransfer(id));

  function applyEvent(event: FerryEvent): void {
    if (event.name === 'peerUpdated') {
      const peer = event.payload;
      if (!peer.blocked && sendErrors.value[peer.id]?.code === 'PEER_BLOCKED') {
        const next = { ...sendErrors.value };
        delete next[peer.id];
        sendErrors.value = next;
      }
      return;
    }
    if (event.name === 'transferUpdated') {
      put(event.payload);
    } else if (event.name === 'transferProgress') {
      // In place: only what reads these fields (that transfer's card) updates. Replacing the
      // transfer would re-sort every list and rebuild the conversation's timeline each tick.
      const p = event.payload;
      const t = byId.value[p.id];
      if (!t) return;
      t.bytesDone = p.bytesDone;
      t.totalBytes = p.totalBytes;
      t.speed = p.speed;
      t.etaSeconds = p.etaSeconds;
      const file = t.files[p.fileIndex];
      if (file) {
        file.bytesDone = p.fileBytesDone;
        file.state = 'active';
      }
    }
  }

  return {
    byId,
    errors,
    sendErrors,
    sending,
    uploads,
    all,
    activeCount,
    latestByPeer,
    forConversation,
    put,
    clearSendError,
    load,
    sendPaths,
    sendFiles,
    sendEntries,
    accept,
    decline,
    cancel,
    resume,
    resend,
    applyEvent,
  };
});

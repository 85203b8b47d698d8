import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { NoticeDto } from '../../../shared/dto';

export type DialogName = 'settings' | 'addPeer' | 'verify' | 'peerInfo';

/** Which dialog or panel is open (one at a time). */
export const useUiStore = defineStore('ui', () => {
  const dialog = ref<DialogName | null>(null);
  const verifyPeerId = ref<string | null>(null);
  const transfersOpen = ref(false);
  /** The latest app-wide warning from the engine (e.g. its port was taken), until dismissed. */
  const notice = ref<NoticeDto | null>(null);

  function open(name: DialogName, peerId?: string) {
    dialog.value = name;
    verifyPeerId.value = peerId ?? null;
  }
  function close() {
    dialog.value = null;
    verifyPeerId.value = null;
  }
  return { dialog, verifyPeerId, transfersOpen, notice, open, close };
});

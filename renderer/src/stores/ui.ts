import { defineStore } from 'pinia';
import { ref } from 'vue';

export type DialogName = 'settings' | 'addPeer' | 'verify';

/** Which dialog or panel is open (one at a time). */
export const useUiStore = defineStore('ui', () => {
  const dialog = ref<DialogName | null>(null);
  const verifyPeerId = ref<string | null>(null);
  const transfersOpen = ref(false);

  function open(name: DialogName, peerId?: string) {
    dialog.value = name;
    verifyPeerId.value = peerId ?? null;
  }
  function close() {
    dialog.value = null;
    verifyPeerId.value = null;
  }
  return { dialog, verifyPeerId, transfersOpen, open, close };
});

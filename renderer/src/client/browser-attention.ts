/**
 * Browser mode has no tray or badge: the tab title carries the unread count
 * ("(3) Ferry"), and the browser's Notification API shows new messages and
 * offers while the tab is in the background, once the user allowed it.
 */
import { watchEffect } from 'vue';
import type { FerryEvent } from '../../../shared/api';
import type { FerryHost } from '../../../shared/host-api';
import type { useConversationsStore } from '../stores/conversations';
import type { usePeersStore } from '../stores/peers';

type Translate = (key: string, ...rest: never[]) => string;

export interface AttentionDeps {
  host: FerryHost;
  peers: ReturnType<typeof usePeersStore>;
  conversations: ReturnType<typeof useConversationsStore>;
  t: Translate;
  doc?: Document;
  win?: Window & typeof globalThis;
}

export function unreadTitle(base: string, unread: number): string {
  return unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${base}` : base;
}

export function startBrowserAttention({
  host,
  peers,
  conversations,
  t,
  doc = document,
  win = window,
}: AttentionDeps): () => void {
  const base = (t as unknown as (key: string) => string)('app.name');
  const stopTitle = watchEffect(() => {
    doc.title = unreadTitle(base, conversations.totalUnread);
  });

  const supported = typeof win.Notification === 'function';
  // Browsers only ask from a user gesture: the first click or key in the page asks once.
  const ask = () => {
    if (supported && win.Notification.permission === 'default') void win.Notification.requestPermission();
  };
  if (supported && win.Notification.permission === 'default') {
    doc.addEventListener('pointerdown', ask, { once: true, capture: true });
    doc.addEventListener('keydown', ask, { once: true, capture: true });
  }

  const offered = new Set<string>();
  const notify = (peerId: string, title: string, body: string) => {
    // Like the desktop app: only when the user isn't looking at Ferry (hidden tab, or another window in front).
    if (!supported || win.Notification.permission !== 'granted') return;
    if (doc.visibilityState === 'visible' && doc.hasFocus()) return;
    const n = new win.Notification(title, { body, tag: `ferry-${peerId}` });
    n.onclick = () => {
      win.focus();
      peers.select(peerId);
      n.close();
    };
  };
  // vue-i18n's t: named values, or a count for plural forms.
  const tr = t as unknown as (key: string, named: Record<string, unknown>) => string;
  const tp = t as unknown as (key: string, count: number) => string;
  const nameOf = (peerId: string) => peers.byId[peerId]?.name ?? peerId.slice(0, 8);

  const off = host.onEvent((event: FerryEvent) => {
    if (event.name === 'messageAdded') {
      const m = event.payload;
      if (m.direction === 'in' && !conversations.byId[m.conversationId]?.muted)
        notify(m.peerId, tr('notify.newMessage', { name: nameOf(m.peerId) }), m.text.slice(0, 200));
    } else if (event.name === 'transferUpdated') {
      const x = event.payload;
      if (x.direction === 'in' && x.state === 'offered' && !offered.has(x.id)) {
        offered.add(x.id);
        notify(x.peerId, tr('notify.filesOffered', { name: nameOf(x.peerId) }), tp('file.nFiles', x.fileCount));
      }
    }
  });

  return () => {
    stopTitle();
    off();
    offered.clear();
    doc.removeEventListener('pointerdown', ask, { capture: true });
    doc.removeEventListener('keydown', ask, { capture: true });
  };
}

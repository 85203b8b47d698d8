import { createPinia } from 'pinia';
import { createApp, h } from 'vue';
import App from './App.vue';
import { startBrowserAttention } from './client/browser-attention';
import { connectHost, setHost } from './client/host';
import { wireEvents } from './client/wire-events';
import { createFerryI18n } from './i18n';
import { useConversationsStore } from './stores/conversations';
import { usePeersStore } from './stores/peers';
import { useSettingsStore } from './stores/settings';
import { useTransfersStore } from './stores/transfers';
import './styles/app.css';

async function start() {
  const i18n = createFerryI18n();
  let host;
  try {
    host = await connectHost();
  } catch {
    // No engine to talk to: say so in the user's language instead of a blank window.
    const t = i18n.global.t;
    createApp({
      render: () =>
        h('div', { class: 'empty-state fatal', role: 'alert' }, [
          h('p', { class: 'empty-title' }, t('app.engineUnreachableTitle')),
          h('p', t('app.engineUnreachableBody')),
        ]),
    }).mount('#app');
    return;
  }
  setHost(host);
  const app = createApp(App);
  const pinia = createPinia();
  app.use(pinia).use(i18n);
  const settings = useSettingsStore(pinia);
  const peers = usePeersStore(pinia);
  const conversations = useConversationsStore(pinia);
  const transfers = useTransfersStore(pinia);
  wireEvents(host);
  await Promise.all([
    settings.load(),
    peers.load(),
    conversations.load().catch(() => {}),
    transfers.load().catch(() => {}),
  ]);
  app.mount('#app');
  if (host.host === 'browser') startBrowserAttention({ host, peers, conversations, t: i18n.global.t });
}

void start();

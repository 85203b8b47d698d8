/** Applies the language and theme settings (following the system when set to 'system'). */
import { onBeforeUnmount, ref, watchEffect } from 'vue';
import { useI18n } from 'vue-i18n';
import { resolveLocale } from '../i18n';
import { useSettingsStore } from '../stores/settings';

export function useAppearance() {
  const settings = useSettingsStore();
  const { locale } = useI18n({ useScope: 'global' });
  const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
  const systemDark = ref(media?.matches ?? false);
  const onChange = (e: MediaQueryListEvent) => (systemDark.value = e.matches);
  media?.addEventListener('change', onChange);
  onBeforeUnmount(() => media?.removeEventListener('change', onChange));

  watchEffect(() => {
    const theme = settings.theme === 'system' ? (systemDark.value ? 'dark' : 'light') : settings.theme;
    document.documentElement.dataset.theme = theme;
  });
  watchEffect(() => {
    locale.value = resolveLocale(settings.language);
    document.documentElement.lang = locale.value;
  });
}

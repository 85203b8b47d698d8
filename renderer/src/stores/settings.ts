import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { FerryEvent } from '../../../shared/api';
import type { SelfDto, SettingsDto } from '../../../shared/dto';
import { useHost } from '../client/host';
import { toUiError, type UiError } from '../client/request-error';

export type SettingsPatch = Partial<SettingsDto>;

/** Who we are and how the app is set up. */
export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<SettingsDto | null>(null);
  const self = ref<SelfDto | null>(null);
  const saving = ref(false);
  const error = ref<UiError | null>(null);

  const language = computed(() => settings.value?.language ?? 'system');
  const theme = computed(() => settings.value?.theme ?? 'system');

  async function load(): Promise<void> {
    const host = useHost();
    const [s, me] = await Promise.all([host.getSettings(), host.getSelf()]);
    settings.value = s;
    self.value = me;
  }

  /** Saves a patch; on failure keeps the error for the dialog and returns false. */
  async function update(patch: SettingsPatch): Promise<boolean> {
    saving.value = true;
    error.value = null;
    try {
      settings.value = await useHost().updateSettings(patch);
      if (patch.displayName && self.value) self.value = { ...self.value, name: settings.value.displayName };
      return true;
    } catch (err) {
      error.value = toUiError(err);
      return false;
    } finally {
      saving.value = false;
    }
  }

  function applyEvent(event: FerryEvent): void {
    if (event.name === 'settingsUpdated') {
      const next = event.payload;
      settings.value = next;
      if (self.value) self.value = { ...self.value, name: next.displayName };
    }
  }

  return { settings, self, saving, error, language, theme, load, update, applyEvent };
});

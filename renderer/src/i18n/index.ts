import { createI18n } from 'vue-i18n';
import type { Language } from '../../../shared/dto';
import en from './en';
import zhCN from './zh-CN';

export type Locale = 'en' | 'zh-CN';
export const LOCALES: Locale[] = ['en', 'zh-CN'];

/** The system language decides unless the user picked one in settings. */
export function resolveLocale(
  setting: Language,
  systemLanguages: readonly string[] = navigator.languages ?? [navigator.language],
): Locale {
  if (setting !== 'system') return setting;
  for (const lang of systemLanguages) {
    const l = lang.toLowerCase();
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}

export function createFerryI18n(locale: Locale = resolveLocale('system')) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'en',
    messages: { en, 'zh-CN': zhCN },
    missingWarn: false,
    fallbackWarn: false,
  });
}

export type MessageSchema = typeof en;

/** The few strings the main process shows itself (tray, notifications, dialogs), in both UI languages. */
import type { Language } from '../../shared/dto';

const catalogue = {
  en: {
    newMessage: (name: string) => `Message from ${name}`,
    filesOffered: (name: string) => `${name} wants to send you files`,
    filesSummary: (count: number, size: string) => `${count} file${count === 1 ? '' : 's'}, ${size}`,
    show: 'Show Ferry',
    showUnread: (n: number) => `Show Ferry (${n} unread)`,
    quit: 'Quit Ferry',
    startFailed: 'Ferry could not start',
  },
  'zh-CN': {
    newMessage: (name: string) => `来自 ${name} 的消息`,
    filesOffered: (name: string) => `${name} 想发送文件给你`,
    filesSummary: (count: number, size: string) => `${count} 个文件，${size}`,
    show: '显示 Ferry',
    showUnread: (n: number) => `显示 Ferry（${n} 条未读）`,
    quit: '退出 Ferry',
    startFailed: 'Ferry 无法启动',
  },
};

export type MainStrings = (typeof catalogue)['en'];

/** Picks the catalogue for a setting; "system" follows the OS locale (any zh-* is Chinese). */
export function mainStrings(language: Language, systemLocale: string): MainStrings {
  const resolved = language === 'system' ? (systemLocale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en') : language;
  return catalogue[resolved];
}

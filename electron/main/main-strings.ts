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
    startFailedDetail: (reason: string) =>
      `${reason}\n\nFerry has quit. Start it again; if this keeps happening, restart the computer or reinstall Ferry.`,
    updateAvailable: (version: string) => `Ferry ${version} is available`,
    updateAsk: 'Download it now? It installs the next time you quit Ferry.',
    updateDownload: 'Download',
    updateLater: 'Not now',
    updateReady: (version: string) => `Ferry ${version} has been downloaded`,
    updateReadyBody: 'It installs when you quit Ferry.',
  },
  'zh-CN': {
    newMessage: (name: string) => `来自 ${name} 的消息`,
    filesOffered: (name: string) => `${name} 想发送文件给你`,
    filesSummary: (count: number, size: string) => `${count} 个文件，${size}`,
    show: '显示 Ferry',
    showUnread: (n: number) => `显示 Ferry（${n} 条未读）`,
    quit: '退出 Ferry',
    startFailed: 'Ferry 无法启动',
    startFailedDetail: (reason: string) =>
      `${reason}\n\nFerry 已退出。请重新启动；如果问题一再出现，请重启电脑或重新安装 Ferry。`,
    updateAvailable: (version: string) => `Ferry ${version} 已发布`,
    updateAsk: '现在下载吗？下次退出 Ferry 时自动安装。',
    updateDownload: '下载',
    updateLater: '以后再说',
    updateReady: (version: string) => `Ferry ${version} 已下载`,
    updateReadyBody: '退出 Ferry 时安装。',
  },
};

export type MainStrings = (typeof catalogue)['en'];

/** Picks the catalogue for a setting; "system" follows the OS locale (any zh-* is Chinese). */
export function mainStrings(language: Language, systemLocale: string): MainStrings {
  const resolved = language === 'system' ? (systemLocale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en') : language;
  return catalogue[resolved];
}

import { describe, expect, it } from 'vitest';
import { mainStrings } from './main-strings';

describe('main-process strings', () => {
  it('follows the setting, or the OS locale for "system"', () => {
    expect(mainStrings('zh-CN', 'en-US').quit).toBe('退出 Ferry');
    expect(mainStrings('en', 'zh-CN').quit).toBe('Quit Ferry');
    expect(mainStrings('system', 'zh-TW').newMessage('小明')).toBe('来自 小明 的消息');
    expect(mainStrings('system', 'de-DE').filesSummary(1, '3 MB')).toBe('1 file, 3 MB');
  });
});

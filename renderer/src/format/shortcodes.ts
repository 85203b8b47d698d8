/**
 * Emoji shortcodes as Slack and GitHub spell them (`:smile:`, `:+1:`): a finished one just
 * before the caret becomes its emoji as you type. Only these names, nothing fetched.
 */
export const SHORTCODES: Readonly<Record<string, string>> = Object.freeze({
  grinning: '😀',
  smile: '😄',
  grin: '😁',
  joy: '😂',
  rofl: '🤣',
  blush: '😊',
  slightly_smiling_face: '🙂',
  wink: '😉',
  heart_eyes: '😍',
  kissing_heart: '😘',
  sunglasses: '😎',
  thinking: '🤔',
  sweat_smile: '😅',
  cry: '😢',
  sob: '😭',
  rage: '😡',
  scream: '😱',
  sleeping: '😴',
  roll_eyes: '🙄',
  grimacing: '😬',
  hugs: '🤗',
  handshake: '🤝',
  pray: '🙏',
  clap: '👏',
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  thumbsdown: '👎',
  ok_hand: '👌',
  v: '✌️',
  muscle: '💪',
  eyes: '👀',
  tada: '🎉',
  birthday: '🎂',
  fire: '🔥',
  sparkles: '✨',
  '100': '💯',
  heart: '❤️',
  broken_heart: '💔',
  star: '⭐',
  white_check_mark: '✅',
  x: '❌',
  warning: '⚠️',
  question: '❓',
  bulb: '💡',
  pushpin: '📌',
  paperclip: '📎',
  file_folder: '📁',
  page_facing_up: '📄',
  camera: '📷',
  computer: '💻',
  printer: '🖨️',
  coffee: '☕',
  tea: '🍵',
  ramen: '🍜',
  beer: '🍺',
  rocket: '🚀',
  alarm_clock: '⏰',
  date: '📅',
  runner: '🏃',
  cloud_with_rain: '🌧️',
  sunny: '☀️',
});

/** The shortcode each emoji is best known by (the first listed), for the picker's tooltips. */
export const SHORTCODE_OF: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    Object.entries(SHORTCODES)
      .reverse()
      .map(([name, emoji]) => [emoji, name]),
  ),
);

/**
 * If the text just before `caret` ends with a known `:name:`, that shortcode replaced by its
 * emoji and the caret after it; otherwise null. `::`, unknown names and a `:name:` glued to
 * a word before it (`http://x:8080:`) stay as typed.
 */
export function expandShortcode(text: string, caret: number): { text: string; caret: number } | null {
  const before = text.slice(0, caret);
  const match = /(^|[\s([{"'])(:([a-z0-9_+-]{1,32}):)$/.exec(before);
  if (!match) return null;
  const emoji = SHORTCODES[match[3]!];
  if (!emoji) return null;
  const start = caret - match[2]!.length;
  return { text: text.slice(0, start) + emoji + text.slice(caret), caret: start + emoji.length };
}

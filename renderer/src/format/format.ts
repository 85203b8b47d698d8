/** Locale-aware formatting of sizes, speeds, durations and times (no work that grows with history). */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number, locale: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number, locale: string): string {
  return `${formatBytes(bytesPerSecond, locale)}/s`;
}

/** "1:05" or "1:02:03"; null for unknown. */
export function formatDuration(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return null;
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function formatClock(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(ms);
}

export function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** 'today' | 'yesterday' | a formatted date: the caller translates the first two. */
export function dayKind(ms: number, now = Date.now()): 'today' | 'yesterday' | 'other' {
  const day = startOfDay(ms);
  const today = startOfDay(now);
  if (day === today) return 'today';
  if (day === startOfDay(today - 12 * 3600 * 1000)) return 'yesterday';
  return 'other';
}

export function formatDate(ms: number, locale: string, now = Date.now()): string {
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(
    locale,
    sameYear ? { month: 'long', day: 'numeric', weekday: 'short' } : { dateStyle: 'medium' },
  ).format(ms);
}

/** Sidebar time: clock today, weekday this week, short date before. */
export function formatListTime(ms: number, locale: string, now = Date.now()): string {
  const kind = dayKind(ms, now);
  if (kind === 'today') return formatClock(ms, locale);
  if (now - ms < 6 * 24 * 3600 * 1000) return new Intl.DateTimeFormat(locale, { weekday: 'short' }).format(ms);
  return new Intl.DateTimeFormat(locale, { month: 'numeric', day: 'numeric' }).format(ms);
}

const CJK = /\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}/u;
/** "Bob 的台式机", "Bob の PC": a possessive after a Latin name; the owner's initials fit better. */
const POSSESSIVE = /^[的の]/u;

/**
 * Up to two letters or one CJK character: what goes in an avatar. A name with a
 * CJK part ("Bob 李", "Design 组") gets its first CJK character, the way CJK
 * chat apps show names; "Bob 的台式机" ("Bob's desktop") stays "BO".
 */
export function initials(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) return '?';
  const chars = [...trimmed];
  const at = chars.findIndex((c) => CJK.test(c));
  if (at >= 0 && !(at > 0 && POSSESSIVE.test(chars.slice(at).join('')))) return chars[at]!;
  const latin = at > 0 ? chars.slice(0, at).join('').trim() : trimmed;
  const words = latin.split(/[\s._-]+/).filter(Boolean);
  if (!words.length) return chars[0]!;
  const second = words[1] ? [...words[1]][0]! : '';
  const letters = /\p{L}/u.test(second) ? [...words[0]!][0]! + second : [...words[0]!].slice(0, 2).join('');
  return letters.toLocaleUpperCase();
}

/**
 * A long path split for a middle cut: `head` may be shortened with an ellipsis
 * by CSS, `tail` (the last segment, at most `tailChars`) always shows.
 */
export function splitForMiddleCut(path: string, tailChars = 28): { head: string; tail: string } {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  let cut = slash >= 0 ? slash : 0;
  if (path.length - cut > tailChars) cut = Math.max(cut, path.length - tailChars);
  // Never split a surrogate pair (an emoji in a file name).
  if (/[\uDC00-\uDFFF]/.test(path[cut] ?? '')) cut--;
  return { head: path.slice(0, cut), tail: path.slice(cut) };
}

/** A stable hue per device, so an avatar keeps its colour. */
export function hueFor(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
  return h;
}

export type FileKind = 'image' | 'video' | 'music' | 'archive' | 'code' | 'fileText' | 'folder' | 'file';

const KINDS: Record<string, FileKind> = {};
for (const [kind, exts] of Object.entries({
  image: 'png jpg jpeg gif webp bmp svg heic tiff ico',
  video: 'mp4 mov mkv avi webm m4v wmv',
  music: 'mp3 wav flac aac ogg m4a opus',
  archive: 'zip rar 7z tar gz tgz bz2 xz zst iso dmg',
  code: 'js ts json html css py c cpp h rs go java kt swift sh rb php vue',
  fileText: 'txt md pdf doc docx rtf odt xls xlsx csv ppt pptx key pages numbers',
})) {
  for (const ext of exts.split(' ')) KINDS[ext] = kind as FileKind;
}

export function fileKind(name: string, isDirectory = false): FileKind {
  if (isDirectory) return 'folder';
  const dot = name.lastIndexOf('.');
  return (dot > 0 && KINDS[name.slice(dot + 1).toLowerCase()]) || 'file';
}

/** Node's process.platform as people call it. */
export function platformName(platform: string): string {
  return (
    (
      { linux: 'Linux', darwin: 'macOS', win32: 'Windows', freebsd: 'FreeBSD', android: 'Android' } as Record<
        string,
        string
      >
    )[platform] ?? platform
  );
}

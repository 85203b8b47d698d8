/**
 * Text on the IP Messenger wire: which charset a peer speaks, decoding what it sends
 * (never throwing, never corrupting a conversation) and encoding what we send in its
 * charset. Node decodes GB18030 and Shift_JIS itself but encodes only UTF-8, so
 * encoding goes through iconv-lite.
 */
import iconv from 'iconv-lite';

/** The charsets Ferry speaks to legacy peers. GB18030 is a superset of GBK (FeiQ); CP932 is IP Messenger's Shift_JIS. */
export type Charset = 'utf-8' | 'gb18030' | 'cp932';
export type LegacyCharset = Exclude<Charset, 'utf-8'>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The charset of legacy peers that don't say which they speak, from this computer's
 * locale: Shift_JIS (CP932) where Japanese is spoken (IP Messenger's home), GB18030
 * (FeiQ's GBK and more) everywhere else.
 */
export function legacyCharsetFor(locale: string): LegacyCharset {
  return /^ja\b/i.test(locale) ? 'cp932' : 'gb18030';
}

/** This process's locale: LC_ALL / LANG when set (POSIX), else what Intl resolved. */
export function systemLocale(env: NodeJS.ProcessEnv = process.env): string {
  const posix = env['LC_ALL'] || env['LC_MESSAGES'] || env['LANG'];
  if (posix && posix !== 'C' && posix !== 'POSIX') return posix.replace('_', '-');
  return Intl.DateTimeFormat().resolvedOptions().locale;
}

/** Decodes bytes in a known charset; undecodable bytes become U+FFFD. */
export function decode(bytes: Buffer, charset: Charset): string {
  return iconv.decode(bytes, charset);
}

/**
 * Decodes text from a peer whose charset is not certain: valid UTF-8 is UTF-8 (plain
 * ASCII included), anything else is the legacy charset. Says which it was.
 */
export function decodeGuess(bytes: Buffer, legacy: LegacyCharset): { text: string; charset: Charset } {
  try {
    return { text: strictUtf8.decode(bytes), charset: 'utf-8' };
  } catch {
    return { text: decode(bytes, legacy), charset: legacy };
  }
}

/** Encodes text for a peer; characters its charset cannot hold become `?`. */
export function encode(text: string, charset: Charset): Buffer {
  return charset === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(text, charset);
}

/** Whether every byte is ASCII (then the charset does not matter). */
export function isAscii(bytes: Buffer): boolean {
  return bytes.every((b) => b < 0x80);
}

/** C0 and C1 controls, and the invisible marks that reorder or hide text (bidi overrides, isolates, zero-width). */
// eslint-disable-next-line no-control-regex
const NAME_JUNK = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex
const TEXT_JUNK = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

export const MAX_NAME_CHARS = 64;

/**
 * A name a legacy peer gave itself (nickname, group, user, host), fit to show: no
 * controls or bidi tricks, trimmed, at most 64 characters. Empty when nothing is left.
 */
export function cleanName(name: string): string {
  return [...name.replace(NAME_JUNK, '').trim()].slice(0, MAX_NAME_CHARS).join('').trim();
}

/**
 * Message text from a legacy peer: CR LF and CR become LF, controls other than tab and
 * line feed and the bidi overrides are dropped (they could make a message say something
 * else than it shows), and at most `maxChars` characters are kept.
 */
export function cleanText(text: string, maxChars: number): string {
  const clean = text.replace(/\r\n?/g, '\n').replace(TEXT_JUNK, '');
  const chars = [...clean];
  return chars.length > maxChars ? chars.slice(0, maxChars).join('') : clean;
}

/**
 * Cuts text into pieces whose encoding fits `maxBytes` each, never inside a character
 * (a surrogate pair or a multi-byte sequence stays whole), preferring to cut after a
 * line feed or a space in the second half of a piece.
 */
export function splitToFit(text: string, charset: Charset, maxBytes: number): string[] {
  const pieces: string[] = [];
  let rest = [...text];
  while (rest.length) {
    let bytes = 0;
    let end = 0;
    while (end < rest.length) {
      const size = encode(rest[end]!, charset).length;
      if (bytes + size > maxBytes) break;
      bytes += size;
      end++;
    }
    if (end === 0) end = 1; // a single character wider than the limit: cannot happen with sane limits
    if (end < rest.length) {
      for (let i = end - 1; i > end / 2; i--) {
        if (rest[i] === '\n' || rest[i] === ' ') {
          end = i + 1;
          break;
        }
      }
    }
    pieces.push(rest.slice(0, end).join(''));
    rest = rest.slice(end);
  }
  return pieces;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isAscii,
  cleanName,
  cleanText,
  decode,
  decodeGuess,
  encode,
  legacyCharsetFor,
  splitToFit,
  systemLocale,
} from './ipmsg-text';

describe('charsets', () => {
  it('GB18030 (FeiQ, GBK iptux) both ways: the bytes iptux sent a legacy pal', () => {
    const wire = Buffer.from([0xbb, 0xd8, 0xb8, 0xb4, 0xa3, 0xba, 0xd6, 0xd0, 0xce, 0xc4]);
    expect(decode(wire, 'gb18030')).toBe('回复：中文');
    expect(encode('回复：中文', 'gb18030').equals(wire)).toBe(true);
  });

  it('CP932 (IP Messenger, Japanese Windows) both ways', () => {
    expect(encode('日本語', 'cp932').equals(Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea]))).toBe(true);
    expect(decode(Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea]), 'cp932')).toBe('日本語');
  });

  it('guessing: valid UTF-8 is UTF-8, anything else is the legacy charset', () => {
    expect(decodeGuess(Buffer.from('你好'), 'gb18030')).toEqual({ text: '你好', charset: 'utf-8' });
    expect(decodeGuess(encode('你好', 'gb18030'), 'gb18030')).toEqual({ text: '你好', charset: 'gb18030' });
    expect(decodeGuess(encode('日本', 'cp932'), 'cp932')).toEqual({ text: '日本', charset: 'cp932' });
  });

  it('isAscii: only bytes below 0x80', () => {
    expect(isAscii(Buffer.from('plain text 123'))).toBe(true);
    expect(isAscii(Buffer.from([0x7f]))).toBe(true);
    expect(isAscii(Buffer.from([0x41, 0x80]))).toBe(false);
    expect(isAscii(Buffer.alloc(0))).toBe(true);
  });

  it('garbage decodes to replacement characters, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('utf-8', 'gb18030', 'cp932'), (raw, cs) => {
        expect(typeof decode(Buffer.from(raw), cs as 'utf-8')).toBe('string');
        expect(typeof decodeGuess(Buffer.from(raw), 'gb18030').text).toBe('string');
      }),
    );
  });
});

describe('the legacy charset', () => {
  it('is CP932 where Japanese is spoken, GB18030 elsewhere', () => {
    expect(legacyCharsetFor('ja-JP')).toBe('cp932');
    expect(legacyCharsetFor('ja')).toBe('cp932');
    expect(legacyCharsetFor('zh-CN')).toBe('gb18030');
    expect(legacyCharsetFor('en-US')).toBe('gb18030');
    expect(legacyCharsetFor('jv-ID')).toBe('gb18030'); // Javanese is not Japanese
    expect(legacyCharsetFor('en-JA')).toBe('gb18030'); // only the language counts
  });

  it('comes from LC_ALL / LC_MESSAGES / LANG, else from Intl', () => {
    expect(systemLocale({ LANG: 'ja_JP.UTF-8' })).toBe('ja-JP.UTF-8');
    expect(legacyCharsetFor(systemLocale({ LC_ALL: 'ja_JP.UTF-8', LANG: 'en_US.UTF-8' }))).toBe('cp932');
    expect(systemLocale({ LANG: 'C' })).toBe(Intl.DateTimeFormat().resolvedOptions().locale);
    expect(systemLocale({ LANG: 'POSIX' })).toBe(Intl.DateTimeFormat().resolvedOptions().locale);
    expect(systemLocale({ LC_MESSAGES: 'ja_JP.eucJP', LANG: 'en_US' })).toBe('ja-JP.eucJP');
    expect(systemLocale({ LC_ALL: '', LANG: 'zh_CN.UTF-8' })).toBe('zh-CN.UTF-8');
  });
});

describe('cleaning what legacy peers send', () => {
  it('names lose controls, bidi overrides, isolates and zero-width marks, and are cut to 64 characters', () => {
    expect(cleanName('Bob\u202Egpj.exe')).toBe('Bobgpj.exe');
    expect(cleanName('\u0007\u0008Mal\u200Blory\u2066\u0000 ')).toBe('Mallory');
    expect(cleanName('\u202E\u2067')).toBe('');
    expect([...cleanName('名'.repeat(100))]).toHaveLength(64);
    expect(cleanName('😀'.repeat(70))).toBe('😀'.repeat(64)); // cut between characters, not inside a pair
    expect(cleanName(`${'a'.repeat(63)} bcd`)).toBe('a'.repeat(63)); // no blank left at the cut
    expect(cleanName(`     ${'b'.repeat(64)}`)).toBe('b'.repeat(64)); // leading blanks don't count
  });

  it('message text keeps line feeds and tabs, turns CR LF into LF, drops other controls and overrides', () => {
    expect(cleanText('a\r\nb\rc\td\u0000e\u202Ef\u0007', 100)).toBe('a\nb\nc\tdef');
    expect(cleanText('x'.repeat(50), 10)).toBe('x'.repeat(10));
  });
});

describe('splitToFit', () => {
  it('cuts into pieces that each fit, never inside a character, and that join back to the text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 400 }),
        fc.constantFrom('utf-8', 'gb18030'),
        fc.integer({ min: 8, max: 200 }),
        (text, charset, max) => {
          const pieces = splitToFit(text, charset as 'utf-8', max);
          expect(pieces.join('')).toBe(text);
          for (const piece of pieces) {
            expect(encode(piece, charset as 'utf-8').length).toBeLessThanOrEqual(max);
            expect(piece).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
          }
        },
      ),
    );
  });

  it('prefers to cut after a line feed or a space in the second half of a piece', () => {
    expect(splitToFit('hello world again', 'utf-8', 14)).toEqual(['hello world ', 'again']);
    expect(splitToFit('line one\nline two', 'utf-8', 12)).toEqual(['line one\n', 'line two']);
    // A space in the first half is too early: the piece is cut where it is full.
    expect(splitToFit('a bcdefghijklmnop', 'utf-8', 10)).toEqual(['a bcdefghi', 'jklmnop']);
    // Exactly half way is still too early.
    expect(splitToFit('abcde fghijkl', 'utf-8', 10)).toEqual(['abcde fghi', 'jkl']);
    // The last piece is never cut short.
    expect(splitToFit('abcd ef', 'utf-8', 10)).toEqual(['abcd ef']);
    expect(splitToFit('', 'utf-8', 10)).toEqual([]);
  });

  it('a character wider than the limit still goes, alone', () => {
    expect(splitToFit('😀x', 'utf-8', 2)).toEqual(['😀', 'x']);
  });
});

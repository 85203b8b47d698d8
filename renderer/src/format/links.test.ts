import { describe, expect, it } from 'vitest';
import { splitLinks } from './links';

const links = (text: string) =>
  splitLinks(text)
    .filter((p) => p.href)
    .map((p) => p.href);

describe('splitLinks', () => {
  it('finds http and https links and keeps the text around them', () => {
    expect(splitLinks('see https://example.com/a?b=1#c and http://10.0.0.5:8080/x now')).toEqual([
      { text: 'see ' },
      { text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
      { text: ' and ' },
      { text: 'http://10.0.0.5:8080/x', href: 'http://10.0.0.5:8080/x' },
      { text: ' now' },
    ]);
  });

  it('never links other schemes', () => {
    expect(links('javascript:alert(1) file:///etc/passwd ftp://x.org ms-settings:display data:text/html,x')).toEqual(
      [],
    );
    expect(splitLinks('file:///etc/passwd')).toEqual([{ text: 'file:///etc/passwd' }]);
  });

  it('ends a link at CJK punctuation, quotes and brackets a sentence put around it', () => {
    expect(links('文档在https://example.com/doc，请看。')).toEqual(['https://example.com/doc']);
    expect(links('（见 https://example.com/a）')).toEqual(['https://example.com/a']);
    expect(links('"https://example.com/q"')).toEqual(['https://example.com/q']);
    expect(links('<https://example.com/b>')).toEqual(['https://example.com/b']);
  });

  it('leaves trailing punctuation and unbalanced closing brackets outside, keeps balanced ones', () => {
    expect(links('Go to https://example.com/x.')).toEqual(['https://example.com/x']);
    expect(links('(https://example.com/x)!')).toEqual(['https://example.com/x']);
    expect(links('https://en.wikipedia.org/wiki/Ferry_(boat), ok?')).toEqual([
      'https://en.wikipedia.org/wiki/Ferry_(boat)',
    ]);
  });

  it('does not link a scheme with no host, and text without links is one part', () => {
    expect(links('https:// nothing here')).toEqual([]);
    expect(splitLinks('just words')).toEqual([{ text: 'just words' }]);
    expect(splitLinks('')).toEqual([]);
  });

  it('puts the text back together exactly', () => {
    const text = 'a https://x.org/1, b（https://y.org/2）c http://z.org';
    expect(
      splitLinks(text)
        .map((p) => p.text)
        .join(''),
    ).toBe(text);
  });
});

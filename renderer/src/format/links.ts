/**
 * Finds web links in message text. Only http(s) URLs become links (a message can
 * never make Ferry open a file:, javascript: or custom-scheme URL); a link ends at
 * whitespace, at quotes and angle brackets, and at CJK punctuation (Chinese text
 * often has no space after a URL); trailing sentence punctuation and an unbalanced
 * closing bracket are left outside.
 */
export interface TextPart {
  text: string;
  /** Set when this part is a link: the URL to open. */
  href?: string;
}

// Stops at whitespace, quotes, angle brackets, backticks and CJK / full-width punctuation.
const URL_RUN = /\bhttps?:\/\/[^\s<>"'`\u3000-\u303f\uff00-\uffef]+/giu;
const TRAILING = /[.,;:!?]+$/u;

export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RUN)) {
    const url = trimUrl(match[0]);
    const start = match.index;
    if (!isWebUrl(url)) continue;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

/** Drops trailing punctuation and closing brackets that the URL did not open. */
function trimUrl(url: string): string {
  for (;;) {
    const before = url;
    url = url.replace(TRAILING, '');
    const close = url.at(-1);
    const open = close === ')' ? '(' : close === ']' ? '[' : close === '}' ? '{' : null;
    if (open && count(url, open) < count(url, close!)) url = url.slice(0, -1);
    if (url === before) return url;
  }
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

function isWebUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

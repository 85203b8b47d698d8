/** Search result text: which parts to mark, without ever rendering HTML. */
export interface TextPart {
  text: string;
  mark: boolean;
}

/** Splits the engine's \u0001 … \u0002 match markers into plain and marked parts. */
export function snippetParts(snippet: string): TextPart[] {
  const out: TextPart[] = [];
  // eslint-disable-next-line no-control-regex -- the engine marks matches with \u0001 … \u0002
  for (const [i, piece] of snippet.split(/[\u0001\u0002]/).entries())
    if (piece) out.push({ text: piece, mark: i % 2 === 1 });
  return out;
}

/**
 * Marks the query in the message itself with some context around it; the
 * engine's snippet (cut by index tokens) is the fallback when the text doesn't
 * contain the query literally.
 */
export function highlight(text: string, query: string, snippet: string, context = 24): TextPart[] {
  const q = query.trim();
  const at = q ? text.toLocaleLowerCase().indexOf(q.toLocaleLowerCase()) : -1;
  if (at < 0) return snippetParts(snippet);
  const start = Math.max(0, at - context);
  const end = at + q.length;
  return [
    { text: (start > 0 ? '…' : '') + text.slice(start, at), mark: false },
    { text: text.slice(at, end), mark: true },
    { text: text.slice(end, end + context * 3), mark: false },
  ].filter((p) => p.text);
}

import { describe, expect, it } from 'vitest';
import { highlight, snippetParts } from './search-highlight';

describe('search highlight', () => {
  it('marks the query in the message, case-insensitively, with context', () => {
    expect(highlight('Hello from the Browser 你好', 'the browser', '')).toEqual([
      { text: 'Hello from ', mark: false },
      { text: 'the Browser', mark: true },
      { text: ' 你好', mark: false },
    ]);
    const long = `${'a'.repeat(100)}needle${'b'.repeat(200)}`;
    const parts = highlight(long, 'needle', '');
    expect(parts[0]!.text).toBe(`…${'a'.repeat(24)}`);
    expect(parts[1]).toEqual({ text: 'needle', mark: true });
    expect(parts[2]!.text).toHaveLength(72);
  });

  it('falls back to the engine snippet markers', () => {
    expect(highlight('x', 'zzz', 'a \u0001b\u0002 c \u0001d\u0002')).toEqual([
      { text: 'a ', mark: false },
      { text: 'b', mark: true },
      { text: ' c ', mark: false },
      { text: 'd', mark: true },
    ]);
    expect(snippetParts('')).toEqual([]);
  });
});

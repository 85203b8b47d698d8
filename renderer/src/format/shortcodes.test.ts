import { describe, expect, it } from 'vitest';
import { expandShortcode, SHORTCODE_OF, SHORTCODES } from './shortcodes';

describe('expandShortcode', () => {
  it('turns a finished :name: before the caret into its emoji, keeping what follows', () => {
    expect(expandShortcode('great :+1:', 10)).toEqual({ text: 'great 👍', caret: 8 });
    expect(expandShortcode(':tada:', 6)).toEqual({ text: '🎉', caret: 2 });
    expect(expandShortcode('see :eyes: later', 10)).toEqual({ text: 'see 👀 later', caret: 6 });
    expect(expandShortcode('(:fire:', 7)).toEqual({ text: '(🔥', caret: 3 });
    expect(expandShortcode('a\n:100:', 7)).toEqual({ text: 'a\n💯', caret: 4 });
  });

  it('leaves unknown names, unfinished ones, glued ones and text away from the caret alone', () => {
    expect(expandShortcode('hi :nope:', 9)).toBeNull();
    expect(expandShortcode('hi :smile', 9)).toBeNull();
    expect(expandShortcode('hi ::', 5)).toBeNull();
    expect(expandShortcode('localhost:8080:smile:', 21)).toBeNull();
    expect(expandShortcode('note:smile:', 11)).toBeNull();
    expect(expandShortcode(':smile: and more', 16)).toBeNull();
    expect(expandShortcode(':SMILE:', 7)).toBeNull();
    expect(expandShortcode(`:${'a'.repeat(33)}:`, 35)).toBeNull();
    expect(expandShortcode('', 0)).toBeNull();
  });

  it('names every emoji of the picker by one shortcode that expands back to it', () => {
    for (const [emoji, name] of Object.entries(SHORTCODE_OF)) expect(SHORTCODES[name], name).toBe(emoji);
    expect(SHORTCODE_OF['👍']).toBe('+1');
  });
});

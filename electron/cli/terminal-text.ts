/**
 * Text from peers (names, platforms, file names, messages, error messages) is
 * printed to a terminal: control characters there are commands (an OSC sets the
 * window title, CSI 2J clears the screen, C1 codes do the same in one byte) and
 * bidi controls reorder what the user reads. Everything a peer supplies goes
 * through these before it is printed.
 */

/** C0 (but not tab/newline here), DEL, C1, bidi embeddings/overrides/isolates and marks, line/paragraph separators. */
// eslint-disable-next-line no-control-regex -- control characters are what this checks
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** One line of peer text for a terminal: unsafe characters removed, never empty. */
export function terminalSafe(text: string, empty = '?'): string {
  const clean = text.replace(UNSAFE, '');
  return clean.trim() === '' ? empty : clean;
}

/** Multi-line text (a chat message): keeps newlines and tabs, removes every other unsafe character. */
export function terminalSafeMultiline(text: string): string {
  return text
    .split(/\r\n|\r|\n/u)
    .map((line) => line.replace(/\t/gu, '    ').replace(UNSAFE, ''))
    .join('\n');
}

/**
 * JSON for a terminal or a pipe: JSON.stringify already escapes C0, but leaves
 * C1 and bidi controls raw, which a UTF-8 terminal still obeys. Escaping them
 * keeps the data exact for a program that parses the line.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

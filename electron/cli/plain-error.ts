/**
 * Errors as the CLI prints them: a sentence in plain words on a terminal, the
 * code only in --json output (for scripts).
 */
import { terminalSafe } from './terminal-text';

export interface PlainError {
  code: string;
  /** One sentence for a person, ending in a full stop. */
  text: string;
  toJson(): { code: string; message: string };
}

/** "nothing is listening at x: is…?" → "Nothing is listening at x: is…?" */
export function sentence(message: string): string {
  const s = terminalSafe(message.trim(), 'Something went wrong');
  const first = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.?!…]$/u.test(first) ? first : `${first}.`;
}

export function plainError(err: unknown): PlainError {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'INTERNAL';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const text = sentence(message);
  return { code, text, toJson: () => ({ code, message: text }) };
}

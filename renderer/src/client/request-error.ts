/** An error from the engine with its code kept, so the UI can translate it. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** What the UI keeps about a failure: the code it translates and the engine's words as a fallback. */
export interface UiError {
  code: string;
  message: string;
}

/**
 * Electron's contextBridge rebuilds a thrown Error from its message alone (custom
 * properties such as `code` are dropped), so the preload's errors carry the code
 * as a "CODE: message" prefix too; this recovers it.
 */
const CODED_MESSAGE = /^(?:Error: )?([A-Z][A-Z0-9_]{2,}): ([\s\S]*)$/;

export function toUiError(err: unknown): UiError {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return { code: (err as { code: string }).code, message: (err as { message?: string }).message ?? '' };
  }
  const message = err instanceof Error ? err.message : String(err);
  const coded = CODED_MESSAGE.exec(message);
  if (coded) return { code: coded[1]!, message: coded[2]! };
  return { code: 'INTERNAL', message };
}

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

export function toUiError(err: unknown): UiError {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return { code: (err as { code: string }).code, message: (err as { message?: string }).message ?? '' };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

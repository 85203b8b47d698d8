import type { ErrorCode, ErrorDto } from '../../shared/errors';

/** An error the user can be told about: a stable code plus an explanation. */
export class FerryError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FerryError';
  }

  toDto(): ErrorDto {
    return { code: this.code, message: this.message };
  }

  /** Wraps anything thrown into a FerryError, keeping codes we already know. */
  static from(err: unknown, fallback: ErrorCode = 'INTERNAL'): FerryError {
    if (err instanceof FerryError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new FerryError(fallback, message, { cause: err });
  }
}

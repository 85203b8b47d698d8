import { isErrorCode, type ErrorCode } from '../../../shared/errors';

/**
 * Codes the renderer raises itself, never the engine: its own checks before a
 * request (the settings form) and its link to the engine in browser mode. Like
 * every ErrorCode, each must have a string in both catalogues (a type error otherwise).
 */
export const RendererErrorCodes = {
  /** The settings form's port is not a number from 0 to 65535. */
  BAD_PORT: 'BAD_PORT',
  /** The settings form's display name is empty. */
  EMPTY_NAME: 'EMPTY_NAME',
  /** Browser mode lost (or never had) its WebSocket to the engine. */
  ENGINE_GONE: 'ENGINE_GONE',
  /** A browser-mode request is larger than the engine's WebSocket accepts. */
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
} as const;

export type RendererErrorCode = keyof typeof RendererErrorCodes;
/** Every code an error shown in the UI can carry. */
export type UiErrorCode = ErrorCode | RendererErrorCode;

export function isUiErrorCode(value: unknown): value is UiErrorCode {
  return isErrorCode(value) || (typeof value === 'string' && Object.hasOwn(RendererErrorCodes, value));
}

/** An error from the engine with its code kept, so the UI can translate it. */
export class RequestError extends Error {
  constructor(
    /** As it came over the wire; toUiError checks it. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** What the UI keeps about a failure: the code it translates and the engine's words as a fallback. */
export interface UiError {
  code: UiErrorCode;
  message: string;
}

/**
 * Electron's contextBridge rebuilds a thrown Error from its message alone (custom
 * properties such as `code` are dropped), so the preload's errors carry the code
 * as a "CODE: message" prefix too; this recovers it.
 */
const CODED_MESSAGE = /^(?:Error: )?([A-Z][A-Z0-9_]{2,}): ([\s\S]*)$/;

/** The failure as the UI shows it; a code the UI doesn't know becomes INTERNAL, its words kept in the message. */
export function toUiError(err: unknown): UiError {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const { code, message = '' } = err as { code: string; message?: string };
    return isUiErrorCode(code) ? { code, message } : { code: 'INTERNAL', message: `${code}: ${message}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  const coded = CODED_MESSAGE.exec(message);
  if (coded && isUiErrorCode(coded[1])) return { code: coded[1], message: coded[2]! };
  return { code: 'INTERNAL', message };
}

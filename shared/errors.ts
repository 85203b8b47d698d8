/**
 * Error codes shared by the engine, the CLI and the UI. The UI translates the
 * code; `message` is the engine's English explanation for logs and the CLI.
 */
export const ErrorCodes = {
  // framing / protocol
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  BAD_FRAME: 'BAD_FRAME',
  UNKNOWN_FRAME: 'UNKNOWN_FRAME',
  PROTOCOL_VERSION: 'PROTOCOL_VERSION',
  HANDSHAKE_TIMEOUT: 'HANDSHAKE_TIMEOUT',
  IDLE_TIMEOUT: 'IDLE_TIMEOUT',
  TLS_FAILED: 'TLS_FAILED',
  // peers / trust
  PEER_CERT_CHANGED: 'PEER_CERT_CHANGED',
  PEER_ID_MISMATCH: 'PEER_ID_MISMATCH',
  PEER_BLOCKED: 'PEER_BLOCKED',
  PEER_UNKNOWN: 'PEER_UNKNOWN',
  PEER_OFFLINE: 'PEER_OFFLINE',
  PEER_UNREACHABLE: 'PEER_UNREACHABLE',
  /** The peer's protocol or its hello's capabilities don't include what was asked. */
  PEER_UNSUPPORTED: 'PEER_UNSUPPORTED',
  PEER_GONE: 'PEER_GONE',
  SELF_CONNECTION: 'SELF_CONNECTION',
  BAD_ADDRESS: 'BAD_ADDRESS',
  // chat
  TEXT_TOO_LONG: 'TEXT_TOO_LONG',
  NOT_FOUND: 'NOT_FOUND',
  /** A message can be recalled only within 2 minutes of sending it (docs/PROTOCOL.md §6). */
  RECALL_TOO_LATE: 'RECALL_TOO_LATE',
  /** Only the author of a message may recall it. */
  NOT_YOURS: 'NOT_YOURS',
  // transfer
  OFFER_DECLINED: 'OFFER_DECLINED',
  OFFER_EXPIRED: 'OFFER_EXPIRED',
  CANCELLED: 'CANCELLED',
  HASH_MISMATCH: 'HASH_MISMATCH',
  /** The sender sent more or fewer bytes than it offered (IP Messenger peers prove nothing else). */
  SIZE_MISMATCH: 'SIZE_MISMATCH',
  NAME_REJECTED: 'NAME_REJECTED',
  DISK_FULL: 'DISK_FULL',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  SOURCE_CHANGED: 'SOURCE_CHANGED',
  SOURCE_MISSING: 'SOURCE_MISSING',
  // local
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  PORT_IN_USE: 'PORT_IN_USE',
  DATA_DIR_IN_USE: 'DATA_DIR_IN_USE',
  /** The disk holding the data folder is (nearly) full: incoming data is refused until space is freed. */
  DATA_DIR_FULL: 'DATA_DIR_FULL',
  /** The database could not be read or written (I/O error, damaged file). */
  DATABASE_ERROR: 'DATABASE_ERROR',
  /** The database file is damaged; it was moved aside (see the message for where). */
  DATABASE_CORRUPT: 'DATABASE_CORRUPT',
  /** The peer sends faster or more than this Ferry accepts; retry later. */
  RATE_LIMITED: 'RATE_LIMITED',
  // browser mode (the local bridge between the page and the engine)
  UNAUTHORIZED: 'UNAUTHORIZED',
  UPLOAD_TOO_LARGE: 'UPLOAD_TOO_LARGE',
  UPLOAD_FAILED: 'UPLOAD_FAILED',
  UPLOAD_BUSY: 'UPLOAD_BUSY',
  /** Ferry never sends its own data folder (keys, database), whoever asks. */
  PATH_NOT_ALLOWED: 'PATH_NOT_ALLOWED',
  /** Talking to IP Messenger / FeiQ users is off: its port (2425) is taken or could not be opened. */
  IPMSG_UNAVAILABLE: 'IPMSG_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * Codes only notices carry: things that happened, not a failed request. A notice
 * may also carry any ErrorCode (a refused connection, a failure reported as it
 * happens); the UI translates both.
 */
export const NoticeOnlyCodes = {
  PEER_DISCOVERED: 'PEER_DISCOVERED',
  PEER_CONNECTED: 'PEER_CONNECTED',
  PEER_DISCONNECTED: 'PEER_DISCONNECTED',
  /** A discovered peer stopped announcing. */
  PEER_EXPIRED: 'PEER_EXPIRED',
  PEER_GOODBYE: 'PEER_GOODBYE',
  /** UDP discovery could not start: add peers by address. */
  DISCOVERY_UNAVAILABLE: 'DISCOVERY_UNAVAILABLE',
  DISCOVERY_ERROR: 'DISCOVERY_ERROR',
  /** Discovery packets were dropped (malformed, spoofed, too many). */
  DISCOVERY_DROPPED: 'DISCOVERY_DROPPED',
  /** IP Messenger packets were dropped (malformed, too many). */
  IPMSG_DROPPED: 'IPMSG_DROPPED',
  /** A changed setting (the port) takes effect after a restart. */
  RESTART_NEEDED: 'RESTART_NEEDED',
} as const;

export type NoticeOnlyCode = keyof typeof NoticeOnlyCodes;
/** Every code the engine puts in a notice. */
export type NoticeCode = ErrorCode | NoticeOnlyCode;

/** The shape an error takes when it crosses a process boundary (IPC, WebSocket, wire). */
export interface ErrorDto {
  code: ErrorCode;
  message: string;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCodes, value);
}

/**
 * The code in an error a peer sent: one of ours, or INTERNAL for anything else (a newer
 * peer's code, garbage, a hostile string); the peer's message still says what happened.
 * Every place that reads a code off the wire goes through this.
 */
export function errorCodeFrom(value: unknown): ErrorCode {
  return isErrorCode(value) ? value : 'INTERNAL';
}

/** Hard limits of the wire protocol and the API (docs/PROTOCOL.md, "Limits"). */
export const LIMITS = {
  /** Largest JSON header, in bytes. */
  headerBytes: 64 * 1024,
  /** Largest chat message text, in UTF-8 bytes. */
  chatTextBytes: 64 * 1024,
  /** Largest display name or file name, in UTF-8 bytes. */
  nameBytes: 255,
} as const;

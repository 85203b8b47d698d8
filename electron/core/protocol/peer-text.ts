/**
 * What a peer may read of our explanations: error texts go to the other side
 * for its logs (docs/PROTOCOL.md §4), but local absolute paths (the user's
 * download folder, home directory, data folder) are nobody else's business.
 */
import type { RawHeader } from './frame-codec';

/** Absolute POSIX or Windows paths, starting at a word boundary. */
const ABSOLUTE_PATH = /(^|[\s('"`=])((?:[A-Za-z]:[\\/]|\\\\[^\s\\]+\\|~?\/)[^\s'"`),;]*)/g;

export function withoutLocalPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, (_m, before: string) => `${before}<local path>`);
}

/** The header with every peer-readable `message` scrubbed (error, data-result, transfer-stop, offer-answer). */
export function forPeer(header: RawHeader): RawHeader {
  let out = header;
  if (typeof header['message'] === 'string') out = { ...out, message: withoutLocalPaths(header['message']) };
  const rejected = header['rejected'];
  if (Array.isArray(rejected)) {
    out = {
      ...out,
      rejected: rejected.map((r: { message?: unknown }) =>
        typeof r?.message === 'string' ? { ...r, message: withoutLocalPaths(r.message) } : r,
      ),
    };
  }
  return out;
}

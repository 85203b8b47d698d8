/**
 * What a peer can do, read from the capability strings of its `hello` (docs/PROTOCOL.md §4).
 * The engine acts on them (it does not send what a peer says it can't take) and the UI
 * shows them per peer. Ferry's own protocol is encrypted and verifiable by design; other
 * protocols (IP Messenger, LocalSend) will describe themselves with the same record.
 */
import type { PeerCapabilities } from '../../../shared/dto';

export const CAPS = {
  /** Messages with delivered / read receipts (§4). */
  chat: 'chat/1',
  /** File and folder offers, data connections, resume (§9). */
  transfer: 'transfer/1',
  /** A small picture of an offered picture, before the offer is answered (§9, `offer-preview`). */
  preview: 'preview/1',
  /** The `recall` frame: an author takes back a message within 2 minutes (§6). */
  recall: 'recall/1',
} as const;

/** What this Ferry announces in its hello. */
export const OWN_CAPABILITIES: readonly string[] = [CAPS.chat, CAPS.transfer, CAPS.preview, CAPS.recall];

/**
 * A Ferry peer's capabilities. `caps` is its last hello's list; null while it has not said
 * hello yet (seen only in an announcement): every Ferry since protocol 1 speaks chat and
 * transfer, so those are assumed until its hello says otherwise.
 */
export function ferryCapabilities(caps: readonly string[] | null): PeerCapabilities {
  const has = (cap: string) => caps === null || caps.includes(cap);
  return {
    encrypted: true,
    verifiable: true,
    chat: has(CAPS.chat),
    receipts: has(CAPS.chat),
    files: has(CAPS.transfer),
    folders: has(CAPS.transfer),
    resume: has(CAPS.transfer),
    groups: false,
    // Not assumed before a hello: a Ferry older than recall would refuse the frame (UNKNOWN_FRAME).
    recall: caps !== null && caps.includes(CAPS.recall),
  };
}

/** What the transfer service needs from the node, and its limits. */
import type { EventSink } from '../event-sink';
import type { TransferImages } from './transfer-images';
import type { PeerSession } from '../session/peer-session';
import type { TransferRepo } from '../store/transfer-repo';
import type { DataChannel } from './data-channel';

export const DEFAULT_OFFER_TTL_MS = 10 * 60_000;

/** What one peer may have waiting for an answer here at once. */
export interface OfferQuota {
  /** Unanswered incoming offers. */
  maxPendingOffers: number;
  /** Entries across those offers. */
  maxPendingEntries: number;
}
export const DEFAULT_OFFER_QUOTA: OfferQuota = { maxPendingOffers: 16, maxPendingEntries: 20_000 };

export type AutoAccept = 'off' | 'verified' | 'any';

export interface TransferServiceDeps {
  repo: TransferRepo;
  emit: EventSink;
  /** The peer's session, while it is reachable. */
  sessionOf: (peerId: string) => PeerSession | undefined;
  /** Opens a data connection to the peer (purpose "transfer") and hands over its socket. */
  dialData: (peerId: string) => Promise<DataChannel>;
  /** Asks the connection layer to (re)connect the peer's control link. */
  keepConnected: (peerId: string) => void;
  isVerified: (peerId: string) => boolean;
  downloadDir: () => string;
  /** "verified" honours settings.autoAcceptVerified; the CLI may force "any" or "verified". */
  autoAccept: () => AutoAccept;
  offerTtlMs?: number;
  offerQuota?: Partial<OfferQuota>;
  /** Free bytes where a transfer would be saved (null when unknown). */
  freeBytes?: (dir: string) => Promise<number | null>;
  /** Something went wrong outside any request (a timer, a stream): tell the user, never throw. */
  report?: (context: string, err: unknown) => void;
  /** Pictures' thumbnails and offer previews (absent: no previews are sent or kept). */
  images?: TransferImages;
}

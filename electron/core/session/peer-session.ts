/**
 * The seam between what Ferry does (chat, transfers) and how a peer is reached.
 *
 * A PeerSession is one peer reachable now over one protocol. Chat and transfers talk to a
 * peer only through it: they never build a frame or touch a socket. The other way round,
 * a protocol's session turns what the peer sends into calls on a PeerInbox. Ferry's own
 * TLS protocol is the first implementation (ferry-session.ts); another protocol (IP
 * Messenger, LocalSend) plugs in with its own session and says through its capabilities
 * what it cannot do.
 */
import type { PeerCapabilities, PeerDto } from '../../../shared/dto';
import type { FerryError } from '../ferry-error';
import type { Transfer } from '../store/transfer-repo';
import type { PullSource } from '../transfer/pull-source';

export type PeerProtocol = PeerDto['protocol'];

/** A chat message on its way to the peer. */
export interface OutgoingMessage {
  id: string;
  sentAt: number;
  replyTo: string | null;
  text: string;
}

/** A chat message the peer sent; `bytes` is its size on the wire (what the chat quota counts). */
export interface IncomingMessage extends OutgoingMessage {
  bytes: number;
}

/** One entry of an offer: a file (with its size) or a folder (size 0). Paths are '/'-separated and relative. */
export interface OfferedEntry {
  path: string;
  size: number;
  mtime: number;
  dir: boolean;
}

/** An offer the peer made; its entries add up to `totalBytes` (the session checked). */
export interface IncomingOffer {
  id: string;
  createdAt: number;
  entries: OfferedEntry[];
  totalBytes: number;
}

/** The receiver's answer to one of our offers. */
export interface OfferAnswer {
  id: string;
  accept: boolean;
  /** Entries the receiver refused by name (it saves the rest). */
  rejected?: { index: number; code: string; message: string }[];
}

/** How a transfer ended, as one side tells the other. */
export type StopState = 'declined' | 'cancelled' | 'failed' | 'expired';

export interface PeerSession {
  readonly peerId: string;
  readonly protocol: PeerProtocol;
  /** The name the peer gives itself in this session. */
  readonly name: string;
  readonly capabilities: PeerCapabilities;
  /**
   * Set when a transfer's bytes don't go over Ferry's own data connections but are
   * fetched by the receiver (IP Messenger): we pull an accepted offer's bytes from here,
   * and the peer pulls ours (its session reports that through `TransferInbox.pulled`).
   */
  readonly pull?: PullSource;

  /** Sends a message; the peer's receipts come back through the inbox. */
  sendMessage(message: OutgoingMessage): void;
  /** Tells the peer its message is stored here. Call only once it is: the peer stops re-sending. */
  acknowledge(messageId: string): void;
  /** Read receipts for the peer's messages. */
  markedRead(messageIds: string[]): void;
  /** Recalls one of our messages at the peer (only where `capabilities.recall`). Not answered. */
  recall(messageId: string): void;

  /** Offers a transfer's files (again, after a reconnect: the same id names the same files). */
  offer(transfer: Transfer): void;
  /** Tells the sender where its incoming offer stands here (accepted, declined, ended). */
  answer(transfer: Transfer): void;
  /** Tells the peer a transfer ended here, or that we refuse it, and why. */
  stop(transferId: string, state: StopState, error: { code: string; message: string }): void;
  /** Asks the peer to resume (receiver), or tells it we are resuming (sender). */
  askResume(transferId: string): void;

  /** The peer broke the protocol, or what it sent cannot be taken now: say why and end the session. */
  fail(error: FerryError): void;

  /** A small picture of offered picture `index`, for peers that take one (absent: the protocol has none). */
  sendPreview?(transferId: string, index: number, mime: string, bytes: Buffer): void;
}

/** Where a session delivers what the peer says about chat. */
export interface ChatInbox {
  /** Store first, then `session.acknowledge`. Throwing refuses the message unacknowledged (the peer retries). */
  message(session: PeerSession, message: IncomingMessage): void;
  delivered(session: PeerSession, messageId: string): void;
  read(session: PeerSession, messageIds: string[]): void;
  /** The peer recalls one of its messages; a recall that doesn't hold is ignored (and reported). */
  recalled(session: PeerSession, messageId: string): void;
}

/** Where a session delivers what the peer says about transfers. */
export interface TransferInbox {
  offered(session: PeerSession, offer: IncomingOffer): void;
  answered(session: PeerSession, answer: OfferAnswer): void;
  stopped(session: PeerSession, transferId: string, state: StopState, error: FerryError): void;
  resumeAsked(session: PeerSession, transferId: string): void;
  /**
   * The peer fetched bytes of one of our files itself (a session with `pull`): `bytesDone`
   * of file `index` so far, and whether it now has all of it. A first fetch is its acceptance.
   */
  pulled(session: PeerSession, transferId: string, index: number, bytesDone: number, complete: boolean): void;
  /** The peer sent a small picture of picture `index` of its offer (checked like any input before it is kept). */
  previewed?(session: PeerSession, transferId: string, index: number, bytes: Buffer): void;
}

export interface PeerInbox {
  chat: ChatInbox;
  transfers: TransferInbox;
}

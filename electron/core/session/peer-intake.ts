/**
 * What peers send, on its way in, whatever protocol they speak. The engine's inbox
 * wraps the chat and transfer inboxes in what holds for every peer: a blocked peer's
 * traffic is dropped, nothing is stored while the data folder's disk is (nearly)
 * full, and nothing a peer sends can throw into a socket's event handler. A frame
 * that cannot be taken is refused: the user is told (bounded), the peer hears a code
 * without local paths and keeps what was not acknowledged.
 */
import { FerryError } from '../ferry-error';
import type { EventSink } from '../event-sink';
import type { DecodedFrame } from '../protocol/frame-codec';
import type { ControlHeader } from '../protocol/frames';
import { freeBytes, storageError } from '../store/storage-error';
import type { FerrySession } from './ferry-session';
import type { ChatInbox, PeerInbox, PeerSession, TransferInbox } from './peer-session';

export interface PeerIntakeOptions {
  chat: ChatInbox;
  transfers: TransferInbox;
  /** Whether the peer was blocked at that time (what it sent then is dropped). */
  wasBlockedAt: (peerId: string, at: number) => boolean;
  /** The data folder, and the free bytes below which nothing more is stored there. */
  dataDir: string;
  minFreeBytes: number;
  emit: EventSink;
}

export class PeerIntake {
  /** Where every peer session delivers what its peer says. */
  readonly inbox: PeerInbox;
  private freeSpace: { bytes: number | null; at: number } = { bytes: null, at: 0 };

  constructor(private readonly options: PeerIntakeOptions) {
    this.inbox = this.guardedInbox();
  }

  /**
   * The chat and transfer inboxes, behind what holds for every protocol: what a peer
   * sent while it was blocked is dropped, not queued for later (a message is
   * acknowledged so its sender stops retrying, but not stored; an offer expires as if
   * nobody answered; the peer learns nothing of the block), and nothing is stored while
   * the data folder's disk is (nearly) full.
   */
  private guardedInbox(): PeerInbox {
    const { chat, transfers, wasBlockedAt } = this.options;
    return {
      chat: {
        message: (session, message) => {
          if (wasBlockedAt(session.peerId, message.sentAt)) return session.acknowledge(message.id);
          this.checkFreeSpace();
          chat.message(session, message);
        },
        delivered: (session, id) => chat.delivered(session, id),
        read: (session, ids) => chat.read(session, ids),
        recalled: (session, id) => chat.recalled(session, id),
      },
      transfers: {
        offered: (session, offer) => {
          if (wasBlockedAt(session.peerId, offer.createdAt)) {
            session.stop(offer.id, 'expired', { code: 'OFFER_EXPIRED', message: 'nobody answered the offer in time' });
            return;
          }
          this.checkFreeSpace();
          transfers.offered(session, offer);
        },
        answered: transfers.answered,
        stopped: transfers.stopped,
        resumeAsked: transfers.resumeAsked,
        pulled: transfers.pulled,
        // A blocked peer's offer expired unseen: a preview of it finds no offer to go with.
        previewed: (session, id, index, bytes) => transfers.previewed?.(session, id, index, bytes),
      },
    };
  }

  /**
   * One frame from a peer. Nothing thrown here may escape into the socket's
   * 'data' handler (that would end the process): a full or failing data folder
   * refuses the frame unacknowledged (the peer keeps it and retries after it
   * reconnects), anything else is reported and costs only this link.
   */
  receive(session: FerrySession, frame: DecodedFrame<ControlHeader>): void {
    try {
      if (!session.receive(frame, this.inbox)) {
        session.fail(new FerryError('BAD_FRAME', `unexpected "${frame.header.type}" frame on a control connection`));
      }
    } catch (err) {
      this.refuse(session, err, frame.header.type);
    }
  }

  /** Throws DATA_DIR_FULL when the data folder's disk is below the floor (asked at most once a second). */
  private checkFreeSpace(): void {
    const now = Date.now();
    if (now - this.freeSpace.at > 1_000) this.freeSpace = { bytes: freeBytes(this.options.dataDir), at: now };
    const free = this.freeSpace.bytes;
    if (free !== null && free < this.options.minFreeBytes) {
      throw new FerryError(
        'DATA_DIR_FULL',
        `only ${Math.floor(free / 1024 / 1024)} MiB are free on the disk holding Ferry's data folder (${this.options.dataDir}); incoming messages and offers are refused until at least ${Math.ceil(this.options.minFreeBytes / 1024 / 1024)} MiB are free`,
      );
    }
  }

  /** A frame we could not take: tell the user (bounded), tell the peer without local details, drop the link. */
  refuse(session: PeerSession, err: unknown, frameType: string): void {
    const storage = storageError(err, this.options.dataDir);
    const rateLimited = err instanceof FerryError && err.code === 'RATE_LIMITED';
    const local = storage ?? (rateLimited ? err : null);
    if (local) {
      this.options.emit('notice', {
        level: local.code === 'RATE_LIMITED' ? 'warn' : 'error',
        code: local.code,
        message:
          local.code === 'RATE_LIMITED'
            ? `refused a "${frameType}" from ${session.name}: ${local.message}`
            : `could not store a "${frameType}" from ${session.name}: ${local.message}`,
        peerId: session.peerId,
      });
      // The peer hears the code and a message with no local paths; it keeps what was not acked.
      session.fail(
        new FerryError(
          local.code,
          local.code === 'RATE_LIMITED'
            ? local.message
            : 'the receiver could not store this right now (its disk is full or failing); it is retried later',
        ),
      );
      return;
    }
    this.options.emit('notice', {
      level: 'error',
      code: 'INTERNAL',
      message: `failed to handle a "${frameType}" frame from ${session.name}: ${(err as Error)?.stack ?? String(err)}`,
      peerId: session.peerId,
    });
    session.fail(new FerryError('INTERNAL', `the receiver failed to handle a "${frameType}" frame`));
  }
}

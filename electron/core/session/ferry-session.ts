/**
 * Ferry's own protocol as a PeerSession: one control link (TLS, length-framed JSON
 * headers, docs/PROTOCOL.md). Domain intents become frames here, and the peer's
 * control frames become calls on a PeerInbox. Nothing else in the engine builds a
 * chat or transfer frame.
 */
import type { PeerCapabilities } from '../../../shared/dto';
import { errorCodeFrom } from '../../../shared/errors';
import { FerryError } from '../ferry-error';
import type { PeerLink } from '../net/connection-manager';
import { CAPS, ferryCapabilities } from '../protocol/capabilities';
import type { DecodedFrame } from '../protocol/frame-codec';
import { offerBody, type ControlHeader, type OfferEntry, type OfferHeader } from '../protocol/frames';
import type { Transfer } from '../store/transfer-repo';
import type { OutgoingMessage, PeerInbox, PeerSession, StopState } from './peer-session';

/** Longest error message put on the wire (the frame allows 1000 characters). */
export const MAX_WIRE_MESSAGE = 900;
/** Most message ids in one read frame. */
export const READ_IDS_PER_FRAME = 500;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class FerrySession implements PeerSession {
  readonly protocol = 'ferry' as const;
  readonly capabilities: PeerCapabilities;

  /** The peer announced `preview/1`: it takes `offer-preview` frames (an older Ferry would end the link on one). */
  readonly takesPreviews: boolean;

  constructor(readonly link: PeerLink) {
    this.capabilities = ferryCapabilities(link.hello.caps);
    this.takesPreviews = link.hello.caps?.includes(CAPS.preview) ?? false;
  }

  get peerId(): string {
    return this.link.peerId;
  }

  get name(): string {
    return this.link.hello.name;
  }

  // ── what we send ──────────────────────────────────────────────────────────

  sendMessage(message: OutgoingMessage): void {
    this.link.conn.send(
      { type: 'message', id: message.id, sentAt: message.sentAt, replyTo: message.replyTo },
      Buffer.from(message.text, 'utf8'),
    );
  }

  acknowledge(messageId: string): void {
    this.link.conn.send({ type: 'ack', id: messageId });
  }

  markedRead(messageIds: string[]): void {
    for (let i = 0; i < messageIds.length; i += READ_IDS_PER_FRAME) {
      this.link.conn.send({ type: 'read', ids: messageIds.slice(i, i + READ_IDS_PER_FRAME) });
    }
  }

  recall(messageId: string): void {
    this.link.conn.send({ type: 'recall', id: messageId });
  }

  offer(t: Transfer): void {
    const entries: OfferEntry[] = t.files.map((f) => ({
      path: f.path,
      size: f.size,
      mtime: f.mtime,
      dir: f.isDirectory,
    }));
    this.link.conn.send(
      { type: 'offer', id: t.id, fileCount: entries.length, totalBytes: t.totalBytes, createdAt: t.createdAt },
      Buffer.from(JSON.stringify(entries), 'utf8'),
    );
  }

  stop(transferId: string, state: StopState, error: { code: string; message: string }): void {
    this.link.conn.send({
      type: 'transfer-stop',
      id: transferId,
      state,
      code: error.code,
      message: error.message.slice(0, MAX_WIRE_MESSAGE),
    });
  }

  sendPreview(transferId: string, index: number, mime: string, bytes: Buffer): void {
    if (!this.takesPreviews) return;
    this.link.conn.send({ type: 'offer-preview', id: transferId, index, mime }, bytes);
  }

  askResume(transferId: string): void {
    this.link.conn.send({ type: 'transfer-resume', id: transferId });
  }

  answer(t: Transfer): void {
    const state = t.state;
    if (state === 'offered') return; // still waiting for the user
    if (state === 'done') {
      // An id is used once: the files already arrived; a new send needs a new id.
      this.stop(t.id, 'failed', {
        code: 'BAD_FRAME',
        message: 'this transfer already finished; offer the files again under a new id',
      });
      return;
    }
    if (state === 'declined') {
      this.link.conn.send({ type: 'offer-answer', id: t.id, accept: false });
      return;
    }
    if (state === 'expired' || state === 'cancelled' || (state === 'failed' && t.saveDir === null)) {
      this.stop(t.id, state, t.error ?? { code: 'CANCELLED', message: state });
      return;
    }
    const rejected = t.files
      .filter((f) => f.state === 'failed' && f.error?.code === 'NAME_REJECTED')
      .map((f) => ({ index: f.index, code: f.error!.code, message: f.error!.message.slice(0, MAX_WIRE_MESSAGE) }));
    this.link.conn.send({ type: 'offer-answer', id: t.id, accept: true, ...(rejected.length ? { rejected } : {}) });
    if (state === 'failed') this.stop(t.id, 'failed', t.error ?? { code: 'INTERNAL', message: 'failed' });
  }

  fail(error: FerryError): void {
    this.link.conn.fail(error);
  }

  // ── what the peer sends ───────────────────────────────────────────────────

  /**
   * Hands one control frame to the inbox. Returns false for a frame that is not about
   * chat or transfers; a chat or transfer frame that is malformed beyond its schema
   * (text that is not UTF-8, an offer that does not add up) ends the link with BAD_FRAME.
   */
  receive(frame: DecodedFrame<ControlHeader>, inbox: PeerInbox): boolean {
    const { header } = frame;
    switch (header.type) {
      case 'message': {
        let text: string;
        try {
          text = utf8.decode(frame.body ?? new Uint8Array());
        } catch {
          this.fail(new FerryError('BAD_FRAME', 'message text is not valid UTF-8'));
          return true;
        }
        inbox.chat.message(this, {
          id: header.id,
          sentAt: header.sentAt,
          replyTo: header.replyTo ?? null,
          text,
          bytes: frame.body?.byteLength ?? 0,
        });
        return true;
      }
      case 'ack':
        inbox.chat.delivered(this, header.id);
        return true;
      case 'read':
        inbox.chat.read(this, header.ids);
        return true;
      case 'recall':
        inbox.chat.recalled(this, header.id);
        return true;
      case 'offer': {
        const offer = readOffer(header, frame.body);
        if (offer instanceof FerryError) this.fail(offer);
        else inbox.transfers.offered(this, { id: header.id, createdAt: header.createdAt, ...offer });
        return true;
      }
      case 'offer-answer':
        inbox.transfers.answered(this, {
          id: header.id,
          accept: header.accept,
          ...(header.rejected ? { rejected: header.rejected } : {}),
        });
        return true;
      case 'transfer-stop':
        inbox.transfers.stopped(
          this,
          header.id,
          header.state,
          new FerryError(errorCodeFrom(header.code), header.message),
        );
        return true;
      case 'transfer-resume':
        inbox.transfers.resumeAsked(this, header.id);
        return true;
      case 'offer-preview':
        inbox.transfers.previewed?.(this, header.id, header.index, frame.body ?? Buffer.alloc(0));
        return true;
      default:
        return false;
    }
  }
}

/** The offer's file list, or BAD_FRAME when it is not one or does not add up to its header. */
export function readOffer(
  header: OfferHeader,
  body: Buffer | null,
): { entries: OfferEntry[]; totalBytes: number } | FerryError {
  let entries: OfferEntry[];
  try {
    entries = offerBody.parse(JSON.parse(body?.toString('utf8') ?? ''));
  } catch {
    return new FerryError('BAD_FRAME', 'the offer body is not a valid file list; refused');
  }
  const totalBytes = entries.reduce((sum, e) => sum + (e.dir ? 0 : e.size), 0);
  if (
    entries.length !== header.fileCount ||
    totalBytes !== header.totalBytes ||
    entries.some((e) => e.dir && e.size !== 0)
  ) {
    return new FerryError('BAD_FRAME', 'the offer does not add up (file count, sizes or folders with a size); refused');
  }
  return { entries, totalBytes };
}

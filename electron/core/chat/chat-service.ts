/**
 * Chat over control links: store-then-ack on receipt, sent → delivered → read on
 * the sending side, and re-sending of everything unacknowledged when a link
 * comes up. Message ids make re-sends idempotent.
 */
import { randomUUID } from 'node:crypto';
import type { MessageDto } from '../../../shared/dto';
import type { EventSink } from '../event-sink';
import { FerryError } from '../ferry-error';
import type { PeerLink } from '../net/connection-manager';
import type { DecodedFrame } from '../protocol/frame-codec';
import type { ControlHeader } from '../protocol/frames';
import type { MessageRepo } from '../store/message-repo';
import type { ChatQuota } from './chat-quota';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ChatService {
  constructor(
    private readonly messages: MessageRepo,
    private readonly linkOf: (peerId: string) => PeerLink | undefined,
    private readonly emit: EventSink,
    private readonly quota?: ChatQuota,
  ) {}

  /** Stores an outgoing message and sends it now if the peer is connected. */
  send(peerId: string, text: string, options: { id?: string; replyTo?: string } = {}): MessageDto {
    const id = options.id ?? randomUUID();
    const now = Date.now();
    const stored = this.messages.insert({
      id,
      peerId,
      direction: 'out',
      text,
      replyTo: options.replyTo ?? null,
      sentAt: now,
      storedAt: now,
      state: 'queued',
    });
    if (!stored) {
      const existing = this.messages.get(peerId, id);
      if (existing?.direction === 'out') return existing; // the UI retried the same request
      throw new FerryError('INVALID_ARGUMENT', 'a message with this id already exists');
    }
    this.emit('messageAdded', stored);
    const link = this.linkOf(peerId);
    return link ? this.transmit(link, stored) : stored;
  }

  /** A control link came up: re-send what the peer has not acknowledged, oldest first. */
  onLinkUp(link: PeerLink): void {
    for (const message of this.messages.unacked(link.peerId)) this.transmit(link, message);
  }

  /** Handles a chat frame; returns false for frames that are not chat. */
  onFrame(link: PeerLink, frame: DecodedFrame<ControlHeader>): boolean {
    const { header } = frame;
    switch (header.type) {
      case 'message': {
        let text: string;
        try {
          text = utf8.decode(frame.body ?? new Uint8Array());
        } catch {
          link.conn.fail(new FerryError('BAD_FRAME', 'message text is not valid UTF-8'));
          return true;
        }
        // A retry of a stored message is acked again without counting against the quota.
        if (this.messages.get(link.peerId, header.id)) {
          link.conn.send({ type: 'ack', id: header.id });
          return true;
        }
        const bytes = frame.body?.byteLength ?? 0;
        this.quota?.admit(link.peerId, bytes); // throws RATE_LIMITED: not stored, not acked
        const stored = this.messages.insert({
          id: header.id,
          peerId: link.peerId,
          direction: 'in',
          text,
          replyTo: header.replyTo ?? null,
          sentAt: header.sentAt,
          storedAt: Date.now(),
          state: 'delivered',
        });
        // Ack only after the insert committed: an ack promises the message survives a crash.
        link.conn.send({ type: 'ack', id: header.id });
        if (stored) {
          this.quota?.stored(link.peerId, bytes);
          this.emit('messageAdded', stored);
        }
        return true;
      }
      case 'ack':
        this.advance(link.peerId, header.id, 'delivered');
        return true;
      case 'read':
        for (const id of header.ids) this.advance(link.peerId, id, 'read');
        return true;
      default:
        return false;
    }
  }

  /** Marks the conversation read and tells the peer (read receipts). */
  markRead(peerId: string): void {
    const ids = this.messages.markRead(peerId);
    const link = this.linkOf(peerId);
    for (let i = 0; link && i < ids.length; i += 500) link.conn.send({ type: 'read', ids: ids.slice(i, i + 500) });
  }

  private transmit(link: PeerLink, message: MessageDto): MessageDto {
    link.conn.send(
      { type: 'message', id: message.id, sentAt: message.sentAt, replyTo: message.replyTo },
      Buffer.from(message.text, 'utf8'),
    );
    return this.advance(message.peerId, message.id, 'sent') ?? message;
  }

  private advance(peerId: string, id: string, state: MessageDto['state']): MessageDto | undefined {
    const updated = this.messages.advanceState(peerId, id, state);
    if (updated) this.emit('messageUpdated', updated);
    return updated;
  }
}

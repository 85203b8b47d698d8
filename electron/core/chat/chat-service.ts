/**
 * Chat over control links: store-then-ack on receipt, sent → delivered → read on
 * the sending side, and re-sending of everything unacknowledged when a link
 * comes up. Message ids make re-sends idempotent.
 */
import { randomUUID } from 'node:crypto';
import { directConversationId } from '../../../shared/conversation-id';
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

  /** Stores an outgoing message in the direct conversation with a peer and sends it now if connected. */
  send(peerId: string, text: string, options: { id?: string; replyTo?: string } = {}): MessageDto {
    const id = options.id ?? randomUUID();
    const now = Date.now();
    const conversationId = directConversationId(peerId);
    const stored = this.messages.insert({
      id,
      conversationId,
      peerId,
      direction: 'out',
      text,
      replyTo: options.replyTo ?? null,
      sentAt: now,
      storedAt: now,
      state: 'queued',
    });
    if (!stored) {
      const existing = this.messages.get(conversationId, id);
      if (existing?.direction === 'out') return existing; // the UI retried the same request
      throw new FerryError('INVALID_ARGUMENT', 'a message with this id already exists');
    }
    this.emit('messageAdded', stored);
    const link = this.linkOf(peerId);
    return link ? this.transmit(link, stored) : stored;
  }

  /** A control link came up: re-send what the peer has not acknowledged, oldest first. */
  onLinkUp(link: PeerLink): void {
    for (const message of this.messages.unacked(directConversationId(link.peerId))) this.transmit(link, message);
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
        const conversationId = directConversationId(link.peerId);
        if (this.messages.get(conversationId, header.id)) {
          link.conn.send({ type: 'ack', id: header.id });
          return true;
        }
        const bytes = frame.body?.byteLength ?? 0;
        this.quota?.admit(link.peerId, bytes); // throws RATE_LIMITED: not stored, not acked
        const stored = this.messages.insert({
          id: header.id,
          conversationId,
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

  /** Marks a conversation read and tells each author whose messages were read (read receipts). */
  markRead(conversationId: string): void {
    const byPeer = new Map<string, string[]>();
    for (const { id, peerId } of this.messages.markRead(conversationId)) {
      const ids = byPeer.get(peerId);
      if (ids) ids.push(id);
      else byPeer.set(peerId, [id]);
    }
    for (const [peerId, ids] of byPeer) {
      const link = this.linkOf(peerId);
      for (let i = 0; link && i < ids.length; i += 500) link.conn.send({ type: 'read', ids: ids.slice(i, i + 500) });
    }
  }

  private transmit(link: PeerLink, message: MessageDto): MessageDto {
    link.conn.send(
      { type: 'message', id: message.id, sentAt: message.sentAt, replyTo: message.replyTo },
      Buffer.from(message.text, 'utf8'),
    );
    return this.advance(message.peerId, message.id, 'sent') ?? message;
  }

  private advance(peerId: string, id: string, state: MessageDto['state']): MessageDto | undefined {
    const updated = this.messages.advanceState(directConversationId(peerId), id, state);
    if (updated) this.emit('messageUpdated', updated);
    return updated;
  }
}

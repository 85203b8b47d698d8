/**
 * Chat with peers, whatever protocol reaches them: store-then-ack on receipt,
 * sent → delivered → read on the sending side, and re-sending of everything
 * unacknowledged when a peer's session comes up. Message ids make re-sends
 * idempotent. It is the chat inbox of every PeerSession.
 */
import { randomUUID } from 'node:crypto';
import { directConversationId } from '../../../shared/conversation-id';
import type { MessageDto } from '../../../shared/dto';
import type { EventSink } from '../event-sink';
import { FerryError } from '../ferry-error';
import type { ChatInbox, IncomingMessage, PeerSession } from '../session/peer-session';
import type { MessageRepo } from '../store/message-repo';
import type { ChatQuota } from './chat-quota';

export class ChatService implements ChatInbox {
  constructor(
    private readonly messages: MessageRepo,
    private readonly sessionOf: (peerId: string) => PeerSession | undefined,
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
    const session = this.sessionOf(peerId);
    return session ? this.transmit(session, stored) : stored;
  }

  /** A peer's session came up: re-send what it has not acknowledged, oldest first. */
  onSessionUp(session: PeerSession): void {
    for (const message of this.messages.unacked(directConversationId(session.peerId))) this.transmit(session, message);
  }

  /** A message from a peer: stored, then acknowledged (an ack promises it survives a crash). */
  message(session: PeerSession, m: IncomingMessage): void {
    // A retry of a stored message is acked again without counting against the quota.
    const conversationId = directConversationId(session.peerId);
    if (this.messages.get(conversationId, m.id)) {
      session.acknowledge(m.id);
      return;
    }
    this.quota?.admit(session.peerId, m.bytes); // throws RATE_LIMITED: not stored, not acked
    const stored = this.messages.insert({
      id: m.id,
      conversationId,
      peerId: session.peerId,
      direction: 'in',
      text: m.text,
      replyTo: m.replyTo,
      sentAt: m.sentAt,
      storedAt: Date.now(),
      state: 'delivered',
    });
    session.acknowledge(m.id);
    if (stored) {
      this.quota?.stored(session.peerId, m.bytes);
      this.emit('messageAdded', stored);
    }
  }

  delivered(session: PeerSession, messageId: string): void {
    this.advance(session.peerId, messageId, 'delivered');
  }

  read(session: PeerSession, messageIds: string[]): void {
    for (const id of messageIds) this.advance(session.peerId, id, 'read');
  }

  /** Marks a conversation read and tells each author whose messages were read (read receipts). */
  markRead(conversationId: string): void {
    const byPeer = new Map<string, string[]>();
    for (const { id, peerId } of this.messages.markRead(conversationId)) {
      const ids = byPeer.get(peerId);
      if (ids) ids.push(id);
      else byPeer.set(peerId, [id]);
    }
    for (const [peerId, ids] of byPeer) this.sessionOf(peerId)?.markedRead(ids);
  }

  private transmit(session: PeerSession, message: MessageDto): MessageDto {
    session.sendMessage({ id: message.id, sentAt: message.sentAt, replyTo: message.replyTo, text: message.text });
    return this.advance(message.peerId, message.id, 'sent') ?? message;
  }

  private advance(peerId: string, id: string, state: MessageDto['state']): MessageDto | undefined {
    const updated = this.messages.advanceState(directConversationId(peerId), id, state);
    if (updated) this.emit('messageUpdated', updated);
    return updated;
  }
}

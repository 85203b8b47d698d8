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

/** How long after sending its author may recall a message (docs/PROTOCOL.md §6). */
export const RECALL_WINDOW_MS = 2 * 60_000;
/** What a receiver allows on top, measured from when it stored the message: clock skew and a slow link. */
export const RECALL_ALLOWANCE_MS = 30_000;

export class ChatService implements ChatInbox {
  constructor(
    private readonly messages: MessageRepo,
    private readonly sessionOf: (peerId: string) => PeerSession | undefined,
    private readonly emit: EventSink,
    private readonly quota?: ChatQuota,
    /** The clock (tests move it instead of sleeping). */
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores an outgoing message in the direct conversation with a peer and sends it now if connected. */
  send(peerId: string, text: string, options: { id?: string; replyTo?: string } = {}): MessageDto {
    const id = options.id ?? randomUUID();
    const now = this.now();
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
      storedAt: this.now(),
      state: 'delivered',
    });
    session.acknowledge(m.id);
    if (stored) {
      this.quota?.stored(session.peerId, m.bytes);
      this.emit('messageAdded', stored);
    }
  }

  /**
   * Recalls one of our messages, here and at the peer. The peer's capabilities were checked
   * by the caller. A message that never left (queued) is withdrawn here only: it will not be
   * sent. One that left needs the peer online now, since a recall is not queued.
   */
  recall(peerId: string, id: string): MessageDto {
    const conversationId = directConversationId(peerId);
    const message = this.messages.get(conversationId, id);
    if (!message) throw new FerryError('NOT_FOUND', 'no such message in this conversation');
    if (message.direction !== 'out') {
      throw new FerryError('NOT_YOURS', 'only the author of a message can recall it; "Delete for me" removes it here');
    }
    if (message.recalledAt !== undefined) return message; // already recalled: nothing more to do
    if (this.now() - message.storedAt > RECALL_WINDOW_MS) {
      throw new FerryError('RECALL_TOO_LATE', 'a message can be recalled only within 2 minutes of sending it');
    }
    if (message.state !== 'queued') {
      const session = this.sessionOf(peerId);
      if (!session) {
        throw new FerryError(
          'PEER_OFFLINE',
          'the other side is offline: a recall is not queued; try again when it is back',
        );
      }
      session.recall(id);
    }
    const recalled = this.messages.recall(conversationId, id, this.now())!;
    this.emit('messageUpdated', recalled);
    return recalled;
  }

  /**
   * The peer recalls one of its messages. Only its own incoming message, stored here at
   * most RECALL_WINDOW_MS + RECALL_ALLOWANCE_MS ago, is recalled; anything else is ignored
   * and reported (the peer is not answered: a recall is best-effort). Repeats are harmless.
   */
  recalled(session: PeerSession, messageId: string): void {
    const conversationId = directConversationId(session.peerId);
    const message = this.messages.get(conversationId, messageId);
    const refuse = (level: 'info' | 'warn', code: 'NOT_FOUND' | 'NOT_YOURS' | 'RECALL_TOO_LATE', why: string) =>
      this.emit('notice', {
        level,
        code,
        message: `ignored ${session.name}'s recall of message ${messageId}: ${why}`,
        peerId: session.peerId,
      });
    if (!message)
      return refuse('info', 'NOT_FOUND', 'there is no such message from it here (deleted here, or never arrived)');
    if (message.direction !== 'in' || message.peerId !== session.peerId) {
      return refuse('warn', 'NOT_YOURS', 'that message is not one it sent');
    }
    if (message.recalledAt !== undefined) return;
    if (this.now() - message.storedAt > RECALL_WINDOW_MS + RECALL_ALLOWANCE_MS) {
      return refuse('info', 'RECALL_TOO_LATE', 'it arrived more than 2 minutes after the message');
    }
    const recalled = this.messages.recall(conversationId, messageId, this.now());
    if (recalled) this.emit('messageUpdated', recalled);
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

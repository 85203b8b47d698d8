/**
 * Conversation summaries: unread count, last message, last activity (a file offer counts).
 * The engine is their only source. Changes are collected and pushed once per turn of the
 * event loop, so a burst of 300 messages costs one summary per conversation, not 300.
 */
import type { ConversationDto, MessageDto } from '../../../shared/dto';
import type { EventSink } from '../event-sink';
import type { FerryDatabase } from '../store/database';
import type { MessageRepo } from '../store/message-repo';

/** The direct conversation with a peer. */
export const directConversationId = (peerId: string): string => `direct:${peerId}`;

export class Conversations {
  private readonly pending = new Set<string>();
  private flushing = false;
  private lastTotal: number | null = null;
  private closed = false;

  constructor(
    private readonly db: FerryDatabase,
    private readonly messages: MessageRepo,
    private readonly emit: EventSink,
  ) {}

  summary(peerId: string): ConversationDto {
    const lastMessage: MessageDto | null = this.messages.last(peerId);
    const lastOffer = this.db.get<{ at: number | null }>(
      'SELECT MAX(created_at) AS at FROM transfers WHERE peer_id = ?',
      [peerId],
    )?.at;
    const times = [lastMessage?.storedAt, lastOffer].filter((t): t is number => typeof t === 'number');
    return {
      id: directConversationId(peerId),
      kind: 'direct',
      peerId,
      unread: this.messages.unreadCount(peerId),
      lastActivity: times.length > 0 ? Math.max(...times) : null,
      lastMessage,
    };
  }

  /** Conversations with at least one message or file offer, most recent activity first. */
  list(): ConversationDto[] {
    const ids = this.db
      .all<{ peer_id: string }>('SELECT peer_id FROM messages UNION SELECT peer_id FROM transfers')
      .map((r) => r.peer_id);
    return ids.map((id) => this.summary(id)).sort((a, b) => (b.lastActivity ?? 0) - (a.lastActivity ?? 0));
  }

  unreadTotal(): number {
    return Number(this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE unread = 1')?.n ?? 0);
  }

  /** Something in the conversation with this peer changed: its summary goes out on the next turn. */
  changed(peerId: string): void {
    if (this.closed) return;
    this.pending.add(peerId);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  /** Pushes what changed now. */
  flush(): void {
    this.flushing = false;
    const peers = [...this.pending];
    this.pending.clear();
    if (peers.length === 0 || this.closed) return;
    for (const peerId of peers) this.emit('conversationUpdated', this.summary(peerId));
    const total = this.unreadTotal();
    if (total !== this.lastTotal) {
      this.lastTotal = total;
      this.emit('unreadTotal', { count: total });
    }
  }

  /** Before the database closes: pushes what is pending, then nothing more. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}

/**
 * Conversation summaries: unread count, last message, last activity (a file offer counts),
 * muted. The engine is their only source. Changes are collected and pushed once per turn
 * of the event loop, so a burst of 300 messages costs one summary per conversation, not 300.
 */
import { directPeerOf } from '../../../shared/conversation-id';
import type { ConversationDto, MessageDto } from '../../../shared/dto';
import type { EventSink } from '../event-sink';
import { FerryError } from '../ferry-error';
import { ConversationRepo } from '../store/conversation-repo';
import type { FerryDatabase } from '../store/database';
import type { MessageRepo } from '../store/message-repo';

export class Conversations {
  private readonly repo: ConversationRepo;
  private readonly pending = new Set<string>();
  private flushing = false;
  private lastTotal: number | null = null;
  private closed = false;

  constructor(
    private readonly db: FerryDatabase,
    private readonly messages: MessageRepo,
    private readonly emit: EventSink,
  ) {
    this.repo = new ConversationRepo(db);
  }

  /** The summary of a conversation (one that has nothing in it yet included). */
  summary(conversationId: string): ConversationDto {
    const peerId = directPeerOf(conversationId);
    if (!peerId) throw new FerryError('INVALID_ARGUMENT', `not a conversation id: ${conversationId}`);
    const lastMessage: MessageDto | null = this.messages.last(conversationId);
    const lastOffer = this.db.get<{ at: number | null }>(
      'SELECT MAX(created_at) AS at FROM transfers WHERE conversation_id = ?',
      [conversationId],
    )?.at;
    const times = [lastMessage?.storedAt, lastOffer].filter((t): t is number => typeof t === 'number');
    return {
      id: conversationId,
      kind: 'direct',
      peerId,
      unread: this.messages.unreadCount(conversationId),
      muted: this.repo.get(conversationId)?.muted ?? false,
      lastActivity: times.length > 0 ? Math.max(...times) : null,
      lastMessage,
    };
  }

  /** Conversations with at least one message or file offer, most recent activity first. */
  list(): ConversationDto[] {
    return this.repo
      .all()
      .map((c) => this.summary(c.id))
      .filter((c) => c.lastActivity !== null)
      .sort((a, b) => (b.lastActivity ?? 0) - (a.lastActivity ?? 0));
  }

  unreadTotal(): number {
    return Number(this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM messages WHERE unread = 1')?.n ?? 0);
  }

  /**
   * Mutes or unmutes a conversation (recorded even before anything is in it). The summary
   * goes out at once, not on the next turn: a host deciding whether to notify must know
   * before the next message of that conversation arrives.
   */
  setMuted(conversationId: string, muted: boolean): ConversationDto {
    this.repo.ensure(conversationId, Date.now());
    this.repo.setMuted(conversationId, muted);
    this.pending.delete(conversationId);
    const summary = this.summary(conversationId);
    if (!this.closed) this.emit('conversationUpdated', summary);
    return summary;
  }

  /** What the user was writing in a conversation ('' when nothing). */
  draft(conversationId: string): string {
    return this.repo.draft(conversationId);
  }

  /** Keeps the draft across restarts ('' clears it). */
  setDraft(conversationId: string, text: string): void {
    this.repo.setDraft(conversationId, text, Date.now());
  }

  isMuted(conversationId: string): boolean {
    return this.repo.get(conversationId)?.muted ?? false;
  }

  /** Something in a conversation changed: its summary goes out on the next turn. */
  changed(conversationId: string): void {
    if (this.closed) return;
    this.pending.add(conversationId);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  /** Pushes what changed now. */
  flush(): void {
    this.flushing = false;
    const ids = [...this.pending];
    this.pending.clear();
    if (ids.length === 0 || this.closed) return;
    for (const id of ids) this.emit('conversationUpdated', this.summary(id));
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

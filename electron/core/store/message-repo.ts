import type { MessageDto, MessageState, SearchHit } from '../../../shared/dto';
import { ConversationRepo } from './conversation-repo';
import type { FerryDatabase } from './database';

interface MessageRow {
  seq: number;
  id: string;
  conversation_id: string;
  peer_id: string;
  direction: 'in' | 'out';
  text: string;
  reply_to: string | null;
  sent_at: number;
  stored_at: number;
  state: MessageState;
  recalled_at: number | null;
}

function toDto(row: MessageRow): MessageDto {
  return {
    id: row.id,
    seq: row.seq,
    conversationId: row.conversation_id,
    peerId: row.peer_id,
    direction: row.direction,
    text: row.text,
    replyTo: row.reply_to,
    sentAt: row.sent_at,
    storedAt: row.stored_at,
    state: row.state,
    ...(row.recalled_at !== null ? { recalledAt: row.recalled_at } : {}),
  };
}

const STATE_RANK: Record<MessageState, number> = { failed: 0, queued: 1, sent: 2, delivered: 3, read: 4 };

/**
 * Chat history, by conversation. A message is keyed by (conversation, id) so a re-sent
 * message is stored once. Storing the first message of a conversation records the
 * conversation too.
 */
export class MessageRepo {
  private readonly conversations: ConversationRepo;

  constructor(private readonly db: FerryDatabase) {
    this.conversations = new ConversationRepo(db);
  }

  /** Stores a message; returns null when (conversation, id) is already stored (a retry). */
  insert(m: Omit<MessageDto, 'seq'>): MessageDto | null {
    // A conversation row left without its first message (a crash in between) is harmless.
    this.conversations.ensure(m.conversationId, m.storedAt);
    {
      const info = this.db.run(
        `INSERT INTO messages (id, conversation_id, peer_id, direction, text, reply_to, sent_at, stored_at, state, unread)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id, id) DO NOTHING`,
        [
          m.id,
          m.conversationId,
          m.peerId,
          m.direction,
          m.text,
          m.replyTo,
          m.sentAt,
          m.storedAt,
          m.state,
          m.direction === 'in' ? 1 : 0,
        ],
      );
      return info.changes === 0 ? null : { ...m, seq: info.lastInsertRowid };
    }
  }

  get(conversationId: string, id: string): MessageDto | undefined {
    const row = this.db.get<MessageRow>('SELECT * FROM messages WHERE conversation_id = ? AND id = ?', [
      conversationId,
      id,
    ]);
    return row && toDto(row);
  }

  /** Moves an outgoing message forward (never back: a late "sent" can't undo "delivered"). */
  advanceState(conversationId: string, id: string, state: MessageState): MessageDto | undefined {
    const current = this.get(conversationId, id);
    if (!current || current.direction !== 'out' || STATE_RANK[state] <= STATE_RANK[current.state]) return undefined;
    this.db.run('UPDATE messages SET state = ? WHERE conversation_id = ? AND id = ?', [state, conversationId, id]);
    return { ...current, state };
  }

  /** Outgoing messages of a conversation not acknowledged yet, oldest first. */
  unacked(conversationId: string): MessageDto[] {
    return this.db
      .all<MessageRow>(
        `SELECT * FROM messages WHERE conversation_id = ? AND direction = 'out' AND state IN ('queued', 'sent')
         AND recalled_at IS NULL ORDER BY seq`,
        [conversationId],
      )
      .map(toDto);
  }

  /** Whether any outgoing message of the conversation still waits for the peer's ack. */
  hasUnacked(conversationId: string): boolean {
    return (
      this.db.get(
        `SELECT 1 AS owed FROM messages WHERE conversation_id = ? AND direction = 'out' AND state IN ('queued', 'sent')
         AND recalled_at IS NULL LIMIT 1`,
        [conversationId],
      ) !== undefined
    );
  }

  /** Newest `limit` messages before `before` (a seq), returned oldest first. */
  page(
    conversationId: string,
    before: number | undefined,
    limit: number,
  ): { messages: MessageDto[]; hasMore: boolean } {
    const rows = this.db.all<MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
      [conversationId, before ?? Number.MAX_SAFE_INTEGER, limit + 1],
    );
    const hasMore = rows.length > limit;
    return { messages: rows.slice(0, limit).reverse().map(toDto), hasMore };
  }

  last(conversationId: string): MessageDto | null {
    const row = this.db.get<MessageRow>('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1', [
      conversationId,
    ]);
    return row ? toDto(row) : null;
  }

  unreadCount(conversationId: string): number {
    return Number(
      this.db.get('SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND unread = 1', [conversationId])?.[
        'n'
      ] ?? 0,
    );
  }

  /** How many incoming messages from this peer are unread, and their text size in bytes. */
  unreadVolume(peerId: string): { count: number; bytes: number } {
    const row = this.db.get<{ n: number; b: number | null }>(
      'SELECT COUNT(*) AS n, SUM(length(CAST(text AS BLOB))) AS b FROM messages WHERE peer_id = ? AND unread = 1',
      [peerId],
    );
    return { count: Number(row?.n ?? 0), bytes: Number(row?.b ?? 0) };
  }

  /** Deletes one message (its search entry goes with it); false when there was none. */
  delete(conversationId: string, id: string): boolean {
    const before = this.get(conversationId, id);
    if (!before) return false;
    this.db.run('DELETE FROM messages WHERE conversation_id = ? AND id = ?', [conversationId, id]);
    return true;
  }

  /**
   * Recalls a message: its text goes (from the row and the search index: the update
   * trigger follows it), the row stays as the "recalled" line, and it no longer counts as
   * unread. Returns the recalled message; one recalled already is returned unchanged.
   */
  recall(conversationId: string, id: string, at: number): MessageDto | undefined {
    const current = this.get(conversationId, id);
    if (!current || current.recalledAt !== undefined) return current;
    this.db.run("UPDATE messages SET text = '', recalled_at = ?, unread = 0 WHERE conversation_id = ? AND id = ?", [
      at,
      conversationId,
      id,
    ]);
    // The old text's page images in the write-ahead log go too (secure_delete zeroes the database file's copy).
    this.db.get('PRAGMA wal_checkpoint(TRUNCATE)');
    return { ...current, text: '', recalledAt: at };
  }

  /** Clears the unread flags of a conversation; returns the messages that were unread (for read receipts). */
  markRead(conversationId: string): { id: string; peerId: string }[] {
    return this.db.transaction(() => {
      const rows = this.db.all<{ id: string; peer_id: string }>(
        'SELECT id, peer_id FROM messages WHERE conversation_id = ? AND unread = 1 ORDER BY seq',
        [conversationId],
      );
      this.db.run('UPDATE messages SET unread = 0 WHERE conversation_id = ? AND unread = 1', [conversationId]);
      return rows.map((r) => ({ id: r.id, peerId: r.peer_id }));
    });
  }

  /**
   * Full-text search. The trigram index needs three characters; shorter queries
   * (common in Chinese: 你好) fall back to a substring scan.
   */
  search(query: string, limit = 50): SearchHit[] {
    // SQLite takes text up to the first NUL: a NUL in the query would cut it (and break the
    // FTS phrase). Control characters never help a search; they become spaces.
    // eslint-disable-next-line no-control-regex
    const q = query.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
    if (!q) return [];
    const rows =
      [...q].length >= 3
        ? this.db.all<MessageRow & { snippet: string }>(
            `SELECT messages.*, snippet(messages_fts, 0, char(1), char(2), '…', 64) AS snippet
             FROM messages_fts JOIN messages ON messages.seq = messages_fts.rowid
             WHERE messages_fts MATCH ? ORDER BY messages.seq DESC LIMIT ?`,
            [`"${q.replaceAll('"', '""')}"`, limit],
          )
        : this.db
            .all<MessageRow>('SELECT * FROM messages WHERE instr(text, ?) > 0 ORDER BY seq DESC LIMIT ?', [q, limit])
            .map((row) => ({ ...row, snippet: row.text.replaceAll(q, `\u0001${q}\u0002`) }));
    return rows.map((row) => ({ message: toDto(row), snippet: row.snippet }));
  }
}

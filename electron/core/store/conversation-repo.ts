import { directPeerOf } from '../../../shared/conversation-id';
import type { FerryDatabase } from './database';

export interface ConversationRecord {
  id: string;
  kind: 'direct';
  /** The peer of a direct conversation. */
  peerId: string;
  muted: boolean;
  createdAt: number;
}

interface ConversationRow {
  id: string;
  kind: 'direct';
  peer_id: string;
  muted: number;
  created_at: number;
}

const toRecord = (row: ConversationRow): ConversationRecord => ({
  id: row.id,
  kind: row.kind,
  peerId: row.peer_id,
  muted: row.muted === 1,
  createdAt: row.created_at,
});

/** Conversations: recorded when the first message or file offer in one is stored. */
export class ConversationRepo {
  constructor(private readonly db: FerryDatabase) {}

  /** Records the conversation if it is new (only direct ones exist so far). */
  ensure(id: string, now: number): void {
    const peerId = directPeerOf(id);
    if (!peerId) throw new Error(`not a conversation id: ${id}`);
    this.db.run(
      `INSERT INTO conversations (id, kind, peer_id, created_at) VALUES (?, 'direct', ?, ?)
       ON CONFLICT (id) DO NOTHING`,
      [id, peerId, now],
    );
  }

  get(id: string): ConversationRecord | undefined {
    const row = this.db.get<ConversationRow>('SELECT * FROM conversations WHERE id = ?', [id]);
    return row && toRecord(row);
  }

  all(): ConversationRecord[] {
    return this.db.all<ConversationRow>('SELECT * FROM conversations').map(toRecord);
  }

  /** What the user was writing here; '' when nothing. */
  draft(id: string): string {
    return this.db.get<{ draft: string | null }>('SELECT draft FROM conversations WHERE id = ?', [id])?.draft ?? '';
  }

  /** Keeps (or, with '', clears) the draft; records the conversation if it is new. */
  setDraft(id: string, text: string, now: number): void {
    this.ensure(id, now);
    this.db.run('UPDATE conversations SET draft = ? WHERE id = ?', [text === '' ? null : text, id]);
  }

  setMuted(id: string, muted: boolean): void {
    this.db.run('UPDATE conversations SET muted = ? WHERE id = ?', [muted ? 1 : 0, id]);
  }
}

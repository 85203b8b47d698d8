import path from 'node:path';
import { parseArgs } from 'node:util';
import type { MessageDto, TransferState } from '../../shared/dto';
import { fingerprintOfPeer, ipOfPeer } from '../../shared/peer-id';
import { FerryError } from '../core/ferry-error';
import type { FerryDatabase } from '../core/store/database';
import type { PeerRecord } from '../core/store/peer-repo';
import type { Transfer } from '../core/store/transfer-repo';
import { defaultDataDir, HISTORY_OPTIONS, processIo, type CliIo } from './cli-options';
import { terminalSafe, terminalSafeJson, terminalSafeMultiline } from './terminal-text';

/** A file offer as history shows it: what was offered, which way, and how it ended. */
export interface FileActivity {
  id: string;
  direction: 'in' | 'out';
  state: TransferState;
  createdAt: number;
  totalBytes: number;
  fileCount: number;
  files: { path: string; size: number; isDirectory: boolean; state: string; savedPath: string | null }[];
  error: { code: string; message: string } | null;
}

export interface ConversationHistory {
  /** `direct:<peer id>`: the conversation with one peer. */
  id: string;
  kind: 'direct';
  peer: { id: string; name: string; announcedName: string; alias: string | null; verified: boolean; blocked: boolean };
  unread: number;
  /** ms since epoch of the newest message or file offer. */
  lastActivity: number;
  messages: MessageDto[];
  files: FileActivity[];
}

/** `ferry history`: the conversations of a data dir with their messages and file activity. */
export async function historyCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const { values } = parseArgs({ args: argv, options: HISTORY_OPTIONS, strict: true });
  const { FerryDatabase } = await import('../core/store/database');
  const db = FerryDatabase.open(path.join(path.resolve(values['data-dir'] ?? defaultDataDir()), 'ferry.db'));
  try {
    let conversations = await readHistory(db);
    if (values.conversation !== undefined) conversations = [pickConversation(conversations, values.conversation)];
    if (values.json) io.stdout.write(`${terminalSafeJson({ conversations }, 1)}\n`);
    else if (values.conversation !== undefined) io.stdout.write(formatConversation(conversations[0]!));
    else if (conversations.length === 0) io.stdout.write('No conversations yet.\n');
    else io.stdout.write(formatList(conversations));
    return 0;
  } finally {
    db.close();
  }
}

/** Every conversation with everything in it, most recent activity first. */
export async function readHistory(db: FerryDatabase): Promise<ConversationHistory[]> {
  const { PeerRepo } = await import('../core/store/peer-repo');
  const { MessageRepo } = await import('../core/store/message-repo');
  const { TransferRepo } = await import('../core/store/transfer-repo');
  const { ConversationRepo } = await import('../core/store/conversation-repo');
  const messageRepo = new MessageRepo(db);
  const transferRepo = new TransferRepo(db);
  const peers = new PeerRepo(db);
  const out: ConversationHistory[] = [];
  for (const conversation of new ConversationRepo(db).all()) {
    const messages = allMessages(messageRepo, conversation.id);
    const files = transferRepo
      .ids(conversation.peerId, Number.MAX_SAFE_INTEGER, { includeEnded: true })
      .map((id) => transferRepo.get(id))
      .filter((t): t is Transfer => t !== undefined)
      .reverse()
      .map(fileActivity);
    if (messages.length === 0 && files.length === 0) continue;
    const lastActivity = Math.max(0, ...messages.map((m) => m.storedAt), ...files.map((f) => f.createdAt));
    out.push({
      id: conversation.id,
      kind: 'direct',
      peer: describePeer(peers.get(conversation.peerId), conversation.peerId),
      unread: messageRepo.unreadCount(conversation.id),
      lastActivity,
      messages,
      files,
    });
  }
  return out.sort((a, b) => b.lastActivity - a.lastActivity);
}

function allMessages(repo: import('../core/store/message-repo').MessageRepo, conversationId: string): MessageDto[] {
  const all: MessageDto[] = [];
  let before: number | undefined;
  for (;;) {
    const page = repo.page(conversationId, before, 500);
    all.unshift(...page.messages);
    if (!page.hasMore || page.messages.length === 0) return all;
    before = page.messages[0]!.seq;
  }
}

/** The peer of a conversation; one that was forgotten keeps its history under its short id. */
function describePeer(p: PeerRecord | undefined, id: string): ConversationHistory['peer'] {
  if (!p)
    return { id, name: id.slice(0, 8), announcedName: id.slice(0, 8), alias: null, verified: false, blocked: false };
  return {
    id: p.id,
    name: p.alias ?? p.name,
    announcedName: p.name,
    alias: p.alias,
    verified: p.verified,
    blocked: p.blocked,
  };
}

function fileActivity(t: Transfer): FileActivity {
  return {
    id: t.id,
    direction: t.direction,
    // History reads a data dir no engine is running on (the database is locked while one
    // is), so nothing is moving: an 'active' transfer is one that stopped with the app
    // and resumes when it starts again, which the app shows as paused.
    state: t.state === 'active' ? 'paused' : t.state,
    createdAt: t.createdAt,
    totalBytes: t.totalBytes,
    fileCount: t.fileCount ?? t.files.length,
    files: t.files.map((f) => ({
      path: f.path,
      size: f.size,
      isDirectory: f.isDirectory,
      state: f.state,
      savedPath: f.saved,
    })),
    error: t.error,
  };
}

/** By full id, by peer id, or by an unambiguous start of the peer's fingerprint (with or without `ferry:`). */
export function pickConversation(all: ConversationHistory[], wanted: string): ConversationHistory {
  const key = wanted.trim().toLowerCase();
  const exact = all.find((c) => c.id === key || c.peer.id === key);
  if (exact) return exact;
  const bare = key
    .replace(/^direct:/u, '')
    .replace(/^ferry:/u, '')
    .replace(/\s+/gu, '');
  const matches =
    bare.length >= 4 ? all.filter((c) => (fingerprintOfPeer(c.peer.id) ?? c.peer.id).startsWith(bare)) : [];
  if (matches.length === 1) return matches[0]!;
  throw new FerryError(
    'NOT_FOUND',
    matches.length > 1
      ? `"${wanted}" matches ${matches.length} conversations; give more of the id`
      : `no conversation "${wanted}" in this data dir (see ferry history without --conversation)`,
  );
}

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
/** Width in terminal cells: CJK characters take two. */
const width = (s: string) => [...s].reduce((n, ch) => n + (/[\u1100-\uffff]/u.test(ch) ? 2 : 1), 0);

export function formatList(conversations: ConversationHistory[]): string {
  const rows = [
    ['CONVERSATION', 'WITH', 'MESSAGES', 'FILES', 'UNREAD', 'LAST ACTIVITY'],
    ...conversations.map((c) => [
      // Ferry's long fingerprints are shortened; an IP Messenger peer's address is short already.
      ipOfPeer(c.peer.id) !== null ? c.id : `direct:ferry:${(fingerprintOfPeer(c.peer.id) ?? c.peer.id).slice(0, 8)}`,
      terminalSafe(c.peer.name) + (c.peer.blocked ? ' (blocked)' : ''),
      String(c.messages.length),
      String(c.files.length),
      String(c.unread),
      time(c.lastActivity),
    ]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => width(r[col]!))));
  const table = rows.map((r) =>
    r
      .map((cell, col) => cell + ' '.repeat(widths[col]! - width(cell)))
      .join('  ')
      .trimEnd(),
  );
  return `${table.join('\n')}\n\nShow one: ferry history --conversation <id>   Everything as JSON: ferry history --json\n`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** One conversation, oldest first: messages and file offers interleaved by time. */
export function formatConversation(c: ConversationHistory): string {
  const them = terminalSafe(c.peer.name);
  const byId = new Map(c.messages.map((m) => [m.id, m]));
  const messages = c.messages.map((m) => {
    const who = m.direction === 'out' ? 'me' : them;
    const original = m.replyTo ? byId.get(m.replyTo) : undefined;
    const reply = original
      ? `  ↪ ${terminalSafe(original.text.split('\n')[0]!.slice(0, 40))}\n`
      : m.replyTo
        ? '  ↪ (a message not in this history)\n'
        : '';
    const state = m.direction === 'out' ? `  [${m.state}]` : '';
    const body = terminalSafeMultiline(m.text).replace(/\n/gu, '\n    ');
    return { at: m.storedAt, text: `${time(m.storedAt)}  ${who}${state}\n${reply}    ${body}\n` };
  });
  const files = c.files.map((f) => {
    const who = f.direction === 'out' ? 'me' : them;
    const first = f.files[0]?.path.split('/')[0];
    const count = `${f.fileCount} ${f.fileCount === 1 ? 'item' : 'items'}`;
    const what = first
      ? `${terminalSafe(first)} (${f.fileCount > 1 ? `${count}, ` : ''}${bytes(f.totalBytes)})`
      : `${count} (${bytes(f.totalBytes)})`;
    const error = f.error ? ` — ${f.error.code}: ${terminalSafe(f.error.message, '')}` : '';
    return { at: f.createdAt, text: `${time(f.createdAt)}  ${who}  [file ${f.state}]\n    ${what}${error}\n` };
  });
  // Messages keep the order they were stored in; file offers go in between by time.
  const items: string[] = [];
  let next = 0;
  for (const m of messages) {
    while (next < files.length && files[next]!.at < m.at) items.push(files[next++]!.text);
    items.push(m.text);
  }
  for (; next < files.length; next++) items.push(files[next]!.text);
  const head = `Conversation with ${them} (${c.id})${c.peer.verified ? ', verified' : ''}${c.peer.blocked ? ', blocked' : ''}: ${c.messages.length} messages, ${c.files.length} file offers, ${c.unread} unread\n\n`;
  return head + (items.length === 0 ? 'Nothing yet.\n' : items.join(''));
}

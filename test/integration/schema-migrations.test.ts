/**
 * Every earlier schema version upgrades to the current one with its rows intact, and the
 * file as it was is kept as ferry.db.backup first. New migrations are covered by the loop;
 * rows for a new table or column go into `seed` with the version that brought them.
 */
import sqlite from 'node-sqlite3-wasm';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FerryDatabase, MIGRATIONS, backupFile } from '../../electron/core/store/database';
import { ConversationRepo } from '../../electron/core/store/conversation-repo';
import { MessageRepo } from '../../electron/core/store/message-repo';
import { PeerRepo } from '../../electron/core/store/peer-repo';
import { TransferRepo } from '../../electron/core/store/transfer-repo';
import { tempDir } from '../helpers/temp-dir';

/** The peer's certificate fingerprint: its id up to schema 4, `ferry:<fingerprint>` from schema 5. */
const FINGERPRINT = 'a1'.repeat(32);
const PEER = `ferry:${FINGERPRINT}`;
const MESSAGE = '9b2c5c3e-7f00-4d4e-9d61-0c1f2a3b4c5d';
const TRANSFER = '5d4c3b2a-1f0c-4e16-9d4d-e00f7e3c5c2b';

/** What a database at `version` could hold, written with that version's columns only. */
function seed(db: InstanceType<typeof sqlite.Database>, version: number): void {
  // From schema 5 on, peer ids are `ferry:<fingerprint>`.
  const id = version >= 5 ? PEER : FINGERPRINT;
  // From schema 4 on, messages and transfers name their conversation (`direct:<peer id>`).
  const conversation = version >= 4 ? [`direct:${id}`] : [];
  const withConversation = (sql: string) =>
    version >= 4
      ? sql.replace('(id, peer_id,', '(conversation_id, id, peer_id,').replace('VALUES (', 'VALUES (?, ')
      : sql;
  if (version >= 4) {
    db.run("INSERT INTO conversations (id, kind, peer_id, created_at) VALUES (?, 'direct', ?, 11)", [
      `direct:${id}`,
      id,
    ]);
  }
  if (version >= 1) {
    db.run(
      "INSERT INTO peers (id, name, alias, platform, addresses, first_seen, last_seen, verified) VALUES (?, 'Bob', '老王', 'linux', '[\"10.0.0.2:47820\"]', 1, 2, 1)",
      [id],
    );
    db.run(
      withConversation(
        "INSERT INTO messages (id, peer_id, direction, text, reply_to, sent_at, stored_at, state, unread) VALUES (?, ?, 'in', '你好 👋', NULL, 10, 11, 'delivered', 1)",
      ),
      [...conversation, MESSAGE, id],
    );
    db.run(
      withConversation(
        "INSERT INTO messages (id, peer_id, direction, text, reply_to, sent_at, stored_at, state, unread) VALUES ('0e4a6a39-3a0e-4a57-8d0b-1d5d2b0f9e11', ?, 'out', 'hi', ?, 12, 12, 'read', 0)",
      ),
      [...conversation, id, MESSAGE],
    );
    db.run("INSERT INTO settings (key, value) VALUES ('displayName', '\"Alice\"')");
    // A message that was stored and deleted: its seq (3) is never handed out again.
    db.run(
      withConversation(
        "INSERT INTO messages (id, peer_id, direction, text, sent_at, stored_at, state) VALUES ('gone', ?, 'in', 'deleted', 13, 13, 'delivered')",
      ),
      [...conversation, id],
    );
    db.run("DELETE FROM messages WHERE id = 'gone'");
  }
  if (version >= 2) {
    db.run(
      withConversation(
        "INSERT INTO transfers (id, peer_id, direction, state, created_at, updated_at, total_bytes, file_count, save_dir) VALUES (?, ?, 'in', 'paused', 20, 21, 100, 1, '/dl')",
      ),
      [...conversation, TRANSFER, id],
    );
    db.run(
      "INSERT INTO transfer_files (transfer_id, idx, path, size, mtime, is_dir, dest_path, part_path, bytes_done, state) VALUES (?, 0, 'a.bin', 100, 5, 0, 'a.bin', '/dl/a.bin.part', 40, 'active')",
      [TRANSFER],
    );
  }
}

async function databaseAt(version: number): Promise<string> {
  const file = path.join(await tempDir('ferry-schema-'), 'ferry.db');
  const db = new sqlite.Database(file);
  try {
    for (let v = 0; v < version; v++) db.exec(MIGRATIONS[v]!);
    db.exec(`PRAGMA user_version = ${version}`);
    seed(db, version);
  } finally {
    db.close();
  }
  return file;
}

describe('schema upgrades', () => {
  it('has versions to upgrade from', () => {
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(3);
  });

  for (let version = 1; version < MIGRATIONS.length; version++) {
    it(`upgrades schema ${version} to ${MIGRATIONS.length}, keeping every row and a backup of the old file`, async () => {
      const file = await databaseAt(version);
      const db = FerryDatabase.open(file);
      try {
        expect(db.schemaVersion).toBe(MIGRATIONS.length);
        const peer = new PeerRepo(db).get(PEER);
        expect(peer).toMatchObject({
          name: 'Bob',
          alias: '老王',
          addresses: ['10.0.0.2:47820'],
          verified: true,
          blocked: false,
          blockedPeriods: [],
        });
        const page = new MessageRepo(db).page(`direct:${PEER}`, undefined, 50);
        expect(page.messages.map((m) => [m.text, m.direction, m.state, m.replyTo])).toEqual([
          ['你好 👋', 'in', 'delivered', null],
          ['hi', 'out', 'read', MESSAGE],
        ]);
        expect(new MessageRepo(db).unreadCount(`direct:${PEER}`)).toBe(1);
        // The full-text index still finds what was there before.
        expect(new MessageRepo(db).search('你好').map((h) => h.message.id)).toEqual([MESSAGE]);
        // Everything is in the peer's direct conversation, recorded from its first activity.
        expect(new ConversationRepo(db).all()).toEqual([
          { id: `direct:${PEER}`, kind: 'direct', peerId: PEER, muted: false, createdAt: 11 },
        ]);
        expect(page.messages.every((m) => m.conversationId === `direct:${PEER}`)).toBe(true);
        // A new message after the upgrade: a fresh seq (not the deleted one's), found by search.
        const added = new MessageRepo(db).insert({
          id: 'f1d6a1a0-0000-4000-8000-000000000001',
          conversationId: `direct:${PEER}`,
          peerId: PEER,
          direction: 'in',
          text: '你好 again',
          replyTo: null,
          sentAt: 30,
          storedAt: 31,
          state: 'delivered',
        });
        expect(added?.seq).toBe(4);
        expect(new MessageRepo(db).search('你好 again').map((h) => h.message.id)).toEqual([added!.id]);
        // Recall (schema 8) works on rows from before it: nothing was recalled, and a recalled
        // old message leaves the search index (trigram and substring search alike).
        expect(page.messages.every((m) => m.recalledAt === undefined)).toBe(true);
        expect(new MessageRepo(db).search('你好 👋').map((h) => h.message.id)).toEqual([MESSAGE]);
        expect(new MessageRepo(db).recall(`direct:${PEER}`, MESSAGE, 40)).toMatchObject({ text: '', recalledAt: 40 });
        expect(new MessageRepo(db).search('你好 👋')).toEqual([]);
        expect(new MessageRepo(db).search('你好').map((h) => h.message.id)).toEqual([added!.id]);
        const transfer = new TransferRepo(db).get(TRANSFER);
        if (version >= 2) {
          expect(transfer).toMatchObject({ state: 'paused', saveDir: '/dl', totalBytes: 100 });
          expect(transfer!.files).toEqual([
            expect.objectContaining({ path: 'a.bin', part: '/dl/a.bin.part', bytesDone: 40, state: 'active' }),
          ]);
        } else {
          expect(transfer).toBeUndefined();
        }
      } finally {
        db.close();
      }
      // The backup is the file as it was before the upgrade.
      const backup = new sqlite.Database(backupFile(file));
      try {
        expect(backup.get('PRAGMA user_version')).toEqual({ user_version: version });
        expect(backup.get('SELECT COUNT(*) AS n FROM messages')).toEqual({ n: 2 });
      } finally {
        backup.close();
      }
    });
  }
});

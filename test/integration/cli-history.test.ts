/**
 * `ferry history` through a real process: on the 0.1.0 fixture (upgraded as it opens)
 * it exports every message and file offer; one conversation by the start of its id;
 * clear failures for an unknown id and for a data dir a running node holds.
 */
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MessageDto } from '../../shared/dto';
import { runFerry } from '../helpers/cli-process';
import { startNode } from '../helpers/nodes';
import { tempDir } from '../helpers/temp-dir';

const fixture = path.resolve(import.meta.dirname, '../fixtures/datadir-0.1.0');

async function fixtureCopy(): Promise<string> {
  const dir = await tempDir('ferry-history-');
  await cp(path.join(fixture, 'alice'), dir, { recursive: true });
  return dir;
}

interface Exported {
  conversations: {
    id: string;
    peer: { id: string };
    unread: number;
    messages: MessageDto[];
    files: { id: string; state: string }[];
  }[];
}

describe('ferry history', () => {
  it('exports every message and file offer of a 0.1.0 data dir as JSON', async () => {
    const expected = JSON.parse(await readFile(path.join(fixture, 'expected.json'), 'utf8'));
    const dataDir = await fixtureCopy();
    const run = await runFerry(['history', '--data-dir', dataDir, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Exported;
    expect(out.conversations.map((c) => c.peer.id).sort()).toEqual(
      expected.peers.map((p: { id: string }) => `ferry:${p.id}`).sort(),
    );
    let count = 0;
    for (const c of out.conversations) {
      expect(c.id).toBe(`direct:${c.peer.id}`);
      // 0.1.0's messages had no conversation id: each is in the peer's direct conversation.
      expect(c.messages.every((m) => m.conversationId === c.id)).toBe(true);
      // 0.1.0 named peers by their bare fingerprint; they are `ferry:<fingerprint>` now.
      const fingerprint = c.peer.id.replace(/^ferry:/u, '');
      expect(c.messages.map(({ conversationId: _c, ...m }) => m)).toEqual(
        expected.messages[fingerprint].map((m: { peerId: string }) => ({ ...m, peerId: `ferry:${m.peerId}` })),
      );
      expect(c.unread).toBe(expected.peers.find((p: { id: string }) => p.id === fingerprint).unread);
      count += c.messages.length;
    }
    expect(count).toBe(311);
    const files = out.conversations.flatMap((c) => c.files);
    expect(files.map((f) => [f.id, f.state]).sort()).toEqual(
      expected.transfers.map((t: { id: string; state: string }) => [t.id, t.state]).sort(),
    );
  });

  it('lists conversations, then shows one by the start of its id', async () => {
    const dataDir = await fixtureCopy();
    const list = await runFerry(['history', '--data-dir', dataDir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^CONVERSATION +WITH +MESSAGES +FILES +UNREAD/u);
    expect(list.stdout).toMatch(/direct:ferry:de352a97 +Bob（办公室） +307 +4 +14 /u);
    expect(list.stdout).toMatch(/direct:ferry:05f30f31 +Carol \(blocked\) +2 +0 +1 /u);

    const one = await runFerry(['history', '--data-dir', dataDir, '--conversation', 'direct:de352a97']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('Conversation with Bob（办公室）');
    expect(one.stdout).toContain('307 messages, 4 file offers, 14 unread');
    expect(one.stdout).toContain('还在吗？ unread 7');
    expect(one.stdout).toMatch(/me {2}\[file paused\]\n {4}video\.mp4 \(1\.0 GiB\)/u);
    expect(one.stdout).toMatch(/\[file done\]\n {4}季度报告 Q3 \(3 items, 56 B\)/u);
  });

  it('says which conversation it could not find, and exits 1', async () => {
    const dataDir = await fixtureCopy();
    const run = await runFerry(['history', '--data-dir', dataDir, '--conversation', 'abcdef12']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/no conversation "abcdef12" in this data dir/iu);
    const json = await runFerry(['history', '--data-dir', dataDir, '--conversation', 'abcdef12', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ event: 'error', code: 'NOT_FOUND' });
  });

  it('refuses a data dir that a running node holds, without touching it', async () => {
    const running = await startNode('Holder');
    const run = await runFerry(['history', '--data-dir', running.dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/another Ferry is already using/iu);
    expect(await running.node.listPeers()).toEqual([]);
  });
});

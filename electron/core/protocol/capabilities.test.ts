/**
 * A peer's hello says what it can do; the engine shows it per peer and does not send a
 * peer what it did not announce (real node, a hand-made peer on 127.0.0.1).
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { rawControl } from '../../../test/helpers/raw-peer';
import { createIdentity } from '../identity/device-identity';
import { startNode } from '../../../test/helpers/nodes';
import { rejection } from '../../../test/helpers/rejection';
import { tempDir } from '../../../test/helpers/temp-dir';
import type { FerryError } from '../ferry-error';
import { ferryCapabilities, OWN_CAPABILITIES } from './capabilities';

describe('peer capabilities', () => {
  it('reads chat/1, transfer/1 and recall/1; a peer not heard from yet is assumed to speak protocol 1 without recall', () => {
    expect(OWN_CAPABILITIES).toEqual(['chat/1', 'transfer/1', 'preview/1', 'recall/1']);
    const all = ferryCapabilities(null);
    expect(all).toEqual({
      encrypted: true,
      verifiable: true,
      chat: true,
      receipts: true,
      files: true,
      folders: true,
      resume: true,
      groups: false,
      recall: false,
    });
    expect(ferryCapabilities(['chat/1', 'transfer/1'])).toEqual(all);
    expect(ferryCapabilities(['chat/1', 'transfer/1', 'recall/1'])).toEqual({ ...all, recall: true });
    expect(ferryCapabilities(['chat/1'])).toMatchObject({ chat: true, receipts: true, files: false, resume: false });
    expect(ferryCapabilities(['transfer/1', 'chat/2'])).toMatchObject({ chat: false, receipts: false, files: true });
    expect(ferryCapabilities([])).toMatchObject({ encrypted: true, verifiable: true, chat: false, files: false });
  });

  it('shows what a peer announced, and refuses to send it what it did not', async () => {
    const a = await startNode('Alice');
    const chatOnly = await rawControl(a.node.listeningPort, await createIdentity(), { caps: ['chat/1'] });
    const chatOnlyId = chatOnly.peerId;
    const seen = await a.waitFor('peerUpdated', (p) => p.id === chatOnlyId && p.online);
    expect(seen.protocol).toBe('ferry');
    expect(seen.capabilities).toMatchObject({ encrypted: true, verifiable: true, chat: true, files: false });

    const file = path.join(await tempDir(), 'notes.txt');
    await writeFile(file, 'notes');
    const refused = await rejection<FerryError>(a.node.sendFiles(`direct:${chatOnlyId}`, [file]));
    expect(refused.code).toBe('PEER_UNSUPPORTED');
    expect(refused.message).toContain('transfer/1');
    expect(await a.node.listTransfers(`direct:${chatOnlyId}`)).toEqual([]);
    // Messages it announced: they go.
    const sent = await a.node.sendMessage(`direct:${chatOnlyId}`, 'hi');
    expect(sent.state).toBe('sent');

    const filesOnly = await rawControl(a.node.listeningPort, await createIdentity(), { caps: ['transfer/1'] });
    const filesOnlyId = filesOnly.peerId;
    await a.waitFor('peerUpdated', (p) => p.id === filesOnlyId && p.online);
    const noChat = await rejection<FerryError>(a.node.sendMessage(`direct:${filesOnlyId}`, 'hi'));
    expect(noChat.code).toBe('PEER_UNSUPPORTED');
    expect((await a.node.listMessages(`direct:${filesOnlyId}`)).messages).toEqual([]);
    // What it announced is remembered while it is away.
    filesOnly.socket.destroy();
    await a.waitFor('peerUpdated', (p) => p.id === filesOnlyId && !p.online);
    const away = (await a.node.listPeers()).find((p) => p.id === filesOnlyId)!;
    expect(away.capabilities).toMatchObject({ chat: false, files: true });
  });
});

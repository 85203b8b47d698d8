/**
 * Where docs/PROTOCOL.md and the engine used to disagree, checked against a
 * real engine with a raw TLS peer: strict UTF-8 headers, bad entries cost only
 * themselves, an all-rejected offer is refused, transfer ids are used once,
 * free space is checked before accepting, no local path reaches the peer, and
 * the idle timeout is announced with an IDLE_TIMEOUT frame on time.
 */
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startNode } from '../helpers/nodes';
import { ackedMessage, sendOffer } from '../helpers/raw-offer';
import { rawControl, rawDataChannel, until } from '../helpers/raw-peer';

const waitUntil = (check: () => boolean) => until(check, 10_000, 'condition');
const stopFor = (peer: { frames: { type: string; id?: unknown }[] }, id: string) =>
  peer.frames.find((f) => f.type === 'transfer-stop' && f.id === id) as
    { state: string; code: string; message: string } | undefined;

describe('PROTOCOL.md conformance', () => {
  it('a header with invalid UTF-8 is BAD_FRAME', async () => {
    const b = await startNode('Bob');
    const peer = await rawControl(b.node.listeningPort);
    const json = Buffer.concat([
      Buffer.from('{"type":"ping","ts":1,"x":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(json.length);
    peer.socket.write(Buffer.concat([prefix, json]));
    await peer.closed;
    expect(peer.frames.at(-1)).toMatchObject({
      type: 'error',
      code: 'BAD_FRAME',
      message: expect.stringMatching(/UTF-8/),
    });
  }, 20_000);

  it('empty, overlong and unsafe names cost only their entry (NAME_REJECTED), never the chat link', async () => {
    const b = await startNode('Bob', { autoAccept: 'any' });
    const peer = await rawControl(b.node.listeningPort);
    const deep = `${'d'.repeat(199)}/`.repeat(20);
    const exactly4096 = deep + 'x'.repeat(4096 - Buffer.byteLength(deep));
    expect(Buffer.byteLength(exactly4096)).toBe(4096);
    const id = sendOffer(peer, [
      { path: '', size: 1 },
      { path: 'ok.txt', size: 1 },
      { path: exactly4096, size: 1 },
      { path: 'y'.repeat(4097), size: 1 },
      { path: '\ud800x.txt', size: 1 },
    ]);
    await waitUntil(() => peer.frames.some((f) => f.type === 'offer-answer' && f.id === id));
    const answer = peer.frames.find((f) => f.type === 'offer-answer') as unknown as {
      accept: boolean;
      rejected: { index: number; code: string }[];
    };
    expect(answer.accept).toBe(true);
    expect(answer.rejected.map((r) => r.index)).toEqual([0, 2, 3]);
    for (const r of answer.rejected) expect(r.code).toBe('NAME_REJECTED');
    const [t] = await b.node.listTransfers();
    expect(t!.files[4]!.path).toBe('\ufffdx.txt'); // saved and reported alike
    await ackedMessage(peer, waitUntil); // the chat link is alive
  }, 20_000);

  it('a transfer-stop with a code the engine does not know is reported as INTERNAL, with the peer’s message', async () => {
    const b = await startNode('Bob');
    const peer = await rawControl(b.node.listeningPort);
    const id = sendOffer(peer, [{ path: 'a.txt', size: 1 }]);
    await b.waitFor('transferUpdated', (t) => t.id === id && t.state === 'offered');
    peer.send({ type: 'transfer-stop', id, state: 'failed', code: 'MADE_UP_CODE', message: 'my disk caught fire' });
    const failed = await b.waitFor('transferUpdated', (t) => t.id === id && t.state === 'failed');
    expect(failed.error).toEqual({ code: 'INTERNAL', message: 'my disk caught fire' });
  }, 20_000);

  it('an offer whose every entry is refused is answered with transfer-stop NAME_REJECTED, not accept', async () => {
    const b = await startNode('Bob', { autoAccept: 'any' });
    const peer = await rawControl(b.node.listeningPort);
    const id = sendOffer(peer, [
      { path: '', size: 1 },
      { path: '..', size: 1 },
    ]);
    await waitUntil(() => stopFor(peer, id) !== undefined);
    expect(stopFor(peer, id)).toMatchObject({ state: 'failed', code: 'NAME_REJECTED' });
    expect(peer.frames.some((f) => f.type === 'offer-answer')).toBe(false);
  }, 20_000);

  it('checks free space before accepting: a 1 PiB offer fails with DISK_FULL, and the message carries no local path', async () => {
    const b = await startNode('Bob', { autoAccept: 'any' });
    const downloadDir = (await b.node.getSettings()).downloadDir;
    const peer = await rawControl(b.node.listeningPort);
    const id = sendOffer(peer, [{ path: 'huge.bin', size: 2 ** 50 }]);
    await waitUntil(() => stopFor(peer, id) !== undefined);
    const stop = stopFor(peer, id)!;
    expect(stop).toMatchObject({ state: 'failed', code: 'DISK_FULL' });
    expect(stop.message).not.toContain(downloadDir);
    expect(stop.message).toContain('<local path>');
    expect(peer.frames.some((f) => f.type === 'offer-answer')).toBe(false);
  }, 20_000);

  it('a transfer id is used once: a finished id re-offered, or an id re-offered with other files, is refused', async () => {
    const b = await startNode('Bob', { autoAccept: 'any' });
    const peer = await rawControl(b.node.listeningPort);
    const content = Buffer.from('abc');
    const entries = [{ path: 'one.txt', size: 3, mtime: 5 }];
    const id = sendOffer(peer, entries);
    await waitUntil(() => peer.frames.some((f) => f.type === 'offer-answer' && f.id === id));
    const channel = await rawDataChannel(b.node.listeningPort, peer.identity);
    channel.writeFrame({ type: 'data-open', id, index: 0, size: 3 });
    await channel.expect('data-ready');
    await channel.writeRaw(content);
    channel.writeFrame({ type: 'data-end', id, index: 0, sha256: createHash('sha256').update(content).digest('hex') });
    expect(await channel.expect('data-result')).toMatchObject({ ok: true });
    channel.close();
    await b.waitFor('transferUpdated', (t) => t.id === id && t.state === 'done');

    sendOffer(peer, entries, id);
    await waitUntil(() => stopFor(peer, id) !== undefined);
    expect(stopFor(peer, id)).toMatchObject({ state: 'failed', code: 'BAD_FRAME' });

    const waitingId = randomUUID();
    const b2 = await startNode('Carol'); // a node that asks the user: the offer stays "offered"
    const peer2 = await rawControl(b2.node.listeningPort);
    sendOffer(peer2, [{ path: 'a.txt', size: 1 }], waitingId);
    await b2.waitFor('transferUpdated', (t) => t.id === waitingId && t.state === 'offered');
    sendOffer(peer2, [{ path: 'a.txt', size: 999 }], waitingId);
    await waitUntil(() => stopFor(peer2, waitingId) !== undefined);
    expect(stopFor(peer2, waitingId)).toMatchObject({ state: 'failed', code: 'BAD_FRAME' });
    expect((await b2.node.listTransfers())[0]).toMatchObject({ id: waitingId, state: 'offered', totalBytes: 1 });
  }, 30_000);

  it('an idle connection gets an IDLE_TIMEOUT frame, at most a second late', async () => {
    const b = await startNode('Bob', { timers: { pingIntervalMs: 60_000, idleTimeoutMs: 1_500 } });
    const peer = await rawControl(b.node.listeningPort);
    const start = Date.now();
    await peer.closed;
    const took = Date.now() - start;
    expect(peer.frames.at(-1)).toMatchObject({ type: 'error', code: 'IDLE_TIMEOUT' });
    expect(took).toBeGreaterThanOrEqual(1_400);
    expect(took).toBeLessThan(1_500 + 1_200);
  }, 20_000);
});

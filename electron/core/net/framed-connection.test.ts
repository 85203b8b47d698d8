/**
 * One FramedConnection on a real TLS socket pair on 127.0.0.1, the other end
 * driven by hand: what the peer sees (frames, pongs, goodbyes, error frames, a
 * close) and what the connection reports (frames, the reason it closed).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rawEnd, tlsPair, type TlsPair } from '../../../test/helpers/tls-pair';
import { waitUntil } from '../../../test/helpers/wait';
import { FerryError } from '../ferry-error';
import { encodeFrame, type DecodedFrame } from '../protocol/frame-codec';
import { controlFrames, type ControlHeader } from '../protocol/frames';
import { DEFAULT_TIMERS, FramedConnection, type ConnectionTimers } from './framed-connection';

const UUID = '0b7c3a6e-3f0e-4c55-9f4e-2d6f3b1a9c10';
/** Timers that never fire during a test. */
const QUIET: ConnectionTimers = { pingIntervalMs: 60_000, idleTimeoutMs: 60_000 };

let pairs: TlsPair[] = [];
afterEach(async () => {
  await Promise.all(pairs.map((p) => p.close()));
  pairs = [];
});

/** A connection on the accepting end of a pair (or on the dialing end), the other end raw. */
async function setup(timers: ConnectionTimers = QUIET, on: 'server' | 'client' = 'server') {
  const pair = await tlsPair();
  pairs.push(pair);
  const mine = on === 'server' ? pair.server : pair.client;
  const theirs = on === 'server' ? pair.client : pair.server;
  const conn = new FramedConnection<ControlHeader>(mine, controlFrames, timers);
  const frames: DecodedFrame<ControlHeader>[] = [];
  conn.on('frame', (f) => frames.push(f));
  const closes: (FerryError | null)[] = [];
  conn.on('closed', (e) => closes.push(e));
  const peer = rawEnd(theirs, controlFrames);
  return { pair, conn, frames, closes, peer, mine, theirs };
}

const message = (text: string) => [{ type: 'message', id: UUID, sentAt: 1 }, Buffer.from(text)] as const;

describe('FramedConnection', () => {
  it('carries frames with bodies both ways', async () => {
    const { conn, frames, peer } = await setup();
    expect(conn.remoteAddress).toBe('127.0.0.1');
    expect(conn.send(...message('from us'))).toBe(true);
    peer.send(...message('from the peer'));
    await waitUntil(() => frames.length === 1 && peer.frames.length === 1, { what: 'a frame each way' });
    expect(frames[0]!.header).toMatchObject({ type: 'message', id: UUID });
    expect(frames[0]!.body?.toString()).toBe('from the peer');
    expect(peer.frames[0]).toMatchObject({ type: 'message', id: UUID, bodyLength: 7 });
    expect(peer.bodies[0]?.toString()).toBe('from us');
    expect(conn.closed).toBe(false);
  });

  it('answers a ping with a pong carrying its ts, and reports neither', async () => {
    const { frames, peer } = await setup();
    peer.send({ type: 'ping', ts: 1234 });
    peer.send({ type: 'pong', ts: 5 });
    peer.send(...message('after'));
    await waitUntil(() => frames.length === 1 && peer.frames.length === 1, { what: 'pong and the message' });
    expect(peer.frames).toEqual([{ type: 'pong', ts: 1234 }]);
    expect(frames.map((f) => f.header.type)).toEqual(['message']);
  });

  it('closes cleanly when the peer says bye', async () => {
    const { conn, frames, closes, peer } = await setup();
    peer.send({ type: 'bye', reason: 'quitting' });
    await waitUntil(() => closes.length === 1, { what: 'closed' });
    expect(closes).toEqual([null]);
    expect(frames).toEqual([]);
    expect(conn.closed).toBe(true);
    await waitUntil(peer.ended, { what: 'the socket ends' });
  });

  it('reports the error a peer closes with, keeping known codes', async () => {
    const { closes, frames, peer } = await setup();
    peer.send({ type: 'error', code: 'DISK_FULL', message: 'no space' });
    await waitUntil(() => closes.length === 1, { what: 'closed' });
    expect(closes[0]).toBeInstanceOf(FerryError);
    expect(closes[0]).toMatchObject({ code: 'DISK_FULL', message: 'peer closed the connection: no space' });
    expect(frames).toEqual([]);
  });

  it('turns an unknown error code from the peer into INTERNAL and keeps the first error', async () => {
    const { closes, peer } = await setup();
    peer.send({ type: 'error', code: 'WHAT_IS_THIS', message: 'first' });
    peer.send({ type: 'error', code: 'DISK_FULL', message: 'second' });
    await waitUntil(() => closes.length === 1, { what: 'closed' });
    expect(closes[0]).toMatchObject({ code: 'INTERNAL', message: 'peer closed the connection: first' });
  });

  it('close() sends one bye with the reason, then ends; nothing is sent after it', async () => {
    const { conn, closes, peer } = await setup();
    conn.close('shutting down');
    expect(conn.closed).toBe(true);
    expect(conn.send({ type: 'ping', ts: 1 })).toBe(false);
    conn.close('again');
    conn.fail(new FerryError('INTERNAL', 'too late'));
    await waitUntil(() => closes.length === 1 && peer.ended(), { what: 'closed on both ends' });
    expect(peer.frames).toEqual([{ type: 'bye', reason: 'shutting down' }]);
    expect(closes).toEqual([null]);
  });

  it('close() without a reason says "closing"', async () => {
    const { conn, peer } = await setup();
    conn.close();
    await waitUntil(peer.ended, { what: 'the socket ends' });
    expect(peer.frames).toEqual([{ type: 'bye', reason: 'closing' }]);
  });

  it('fail() tells the peer the code and message (no local paths, at most 900 chars), then closes with it', async () => {
    const { conn, closes, peer } = await setup();
    const error = new FerryError('DISK_FULL', `cannot write /home/me/Downloads/x.bin ${'z'.repeat(2000)}`);
    conn.fail(error);
    conn.fail(new FerryError('INTERNAL', 'second'));
    conn.close('third');
    await waitUntil(() => closes.length === 1 && peer.ended(), { what: 'closed on both ends' });
    expect(peer.frames).toHaveLength(1);
    const sent = peer.frames[0] as { type: string; code: string; message: string };
    expect(sent.type).toBe('error');
    expect(sent.code).toBe('DISK_FULL');
    expect(sent.message.startsWith('cannot write <local path> zzz')).toBe(true);
    expect(sent.message).not.toContain('/home/me');
    expect(sent.message.length).toBeLessThanOrEqual(900);
    expect(sent.message.length).toBeGreaterThan(850);
    expect(closes).toEqual([error]);
  });

  it('on a bad frame: hands over the good frames before it, tells the peer, closes with the error', async () => {
    const { closes, frames, peer, pair } = await setup();
    const bad = Buffer.concat([Buffer.from([0, 0, 0, 5]), Buffer.from('hello')]);
    pair.client.write(Buffer.concat([encodeFrame(...message('good')), bad, encodeFrame(...message('lost'))]));
    await waitUntil(() => closes.length === 1 && peer.ended(), { what: 'closed on both ends' });
    expect(frames.map((f) => f.body?.toString())).toEqual(['good']);
    expect(peer.frames).toEqual([{ type: 'error', code: 'BAD_FRAME', message: 'header is not valid JSON' }]);
    expect(closes[0]).toMatchObject({ code: 'BAD_FRAME', message: 'header is not valid JSON' });
  });

  it('reports a connection error as PEER_GONE', async () => {
    const { closes, pair } = await setup();
    pair.server.destroy(new Error('boom'));
    await waitUntil(() => closes.length === 1, { what: 'closed' });
    expect(closes[0]).toMatchObject({ code: 'PEER_GONE', message: 'connection error: boom' });
    expect(closes[0]!.cause).toBeInstanceOf(Error);
  });

  it('reports a plain close by the peer as clean, once', async () => {
    const { conn, closes, pair } = await setup();
    pair.client.end();
    await waitUntil(() => closes.length === 1, { what: 'closed' });
    expect(conn.closed).toBe(true);
    conn.close();
    expect(closes).toEqual([null]);
  });

  it('closes an idle link with IDLE_TIMEOUT and tells the peer why', async () => {
    const { closes, peer } = await setup({ pingIntervalMs: 60_000, idleTimeoutMs: 1_000 });
    await waitUntil(() => closes.length === 1 && peer.ended(), { what: 'idle close', timeoutMs: 5_000 });
    expect(peer.frames).toEqual([{ type: 'error', code: 'IDLE_TIMEOUT', message: 'no data from the peer for 1 s' }]);
    expect(closes[0]).toMatchObject({ code: 'IDLE_TIMEOUT', message: 'no data from the peer for 1 s' });
  });

  it('pings a quiet peer and stays open while the peer answers', async () => {
    const { conn, closes, peer, pair } = await setup({ pingIntervalMs: 200, idleTimeoutMs: 1_000 });
    const started = Date.now();
    let answered = 0;
    pair.client.on('data', () => {
      while (answered < peer.frames.length) {
        const f = peer.frames[answered++]!;
        if (f.type === 'ping') peer.send({ type: 'pong', ts: f['ts'] as number });
      }
    });
    // Long past the idle timeout, with only pongs coming back.
    await waitUntil(() => Date.now() - started > 2_200 && peer.frames.length >= 6, { what: 'pings for 2.2 s' });
    expect(closes).toEqual([]);
    expect(conn.closed).toBe(false);
    expect(peer.frames.every((f) => f.type === 'ping' && typeof f['ts'] === 'number')).toBe(true);
    const ts = peer.frames.map((f) => f['ts'] as number);
    expect(ts[0]).toBeGreaterThanOrEqual(started);
    // One ping per interval, not one per tick.
    expect(ts[1]! - ts[0]!).toBeGreaterThanOrEqual(200);
  });

  it('does not ping while it keeps sending', async () => {
    const { conn, peer } = await setup({ pingIntervalMs: 600, idleTimeoutMs: 60_000 });
    const started = Date.now();
    let sent = 0;
    // A message goes out as soon as the last one arrived, for three ping intervals: no ping joins them.
    while (Date.now() - started < 1_800) {
      conn.send(...message(`m${sent++}`));
      await waitUntil(() => peer.frames.length === sent, { what: 'the message arrives' });
    }
    expect(peer.frames.filter((f) => f.type === 'ping')).toEqual([]);
  });

  it('drain() waits for a full socket buffer to empty', async () => {
    const { conn, pair } = await setup();
    await conn.drain(); // nothing queued: resolves at once
    pair.client.pause();
    let full = false;
    for (let i = 0; i < 10_000 && !full; i++) full = !conn.send(...message('x'.repeat(60_000)));
    expect(full).toBe(true);
    let drained = false;
    const draining = conn.drain().then(() => (drained = true));
    // The socket really is full: a later check still finds it waiting.
    await waitUntil(() => pair.server.writableNeedDrain, { what: 'still full' });
    expect(drained).toBe(false);
    pair.client.resume();
    await draining;
    expect(pair.server.writableNeedDrain).toBe(false);
  });

  it('drain() also resolves when the socket closes while full', async () => {
    const { conn, pair } = await setup();
    pair.client.pause();
    let full = false;
    for (let i = 0; i < 10_000 && !full; i++) full = !conn.send(...message('x'.repeat(60_000)));
    expect(full).toBe(true);
    const draining = conn.drain();
    pair.server.destroy();
    await draining;
    expect(await conn.drain()).toBeUndefined();
  });

  it('detach() hands over the socket and the undecoded bytes, and stops handling frames', async () => {
    const { conn, frames, closes, mine, theirs } = await setup({ pingIntervalMs: 100, idleTimeoutMs: 300 }, 'client');
    let detached: { socket: unknown; leftover: Buffer } | null = null;
    conn.once('frame', () => (detached = conn.detach()));
    const raw = Buffer.from([0, 0, 9]); // start of something that is not a frame of this registry
    theirs.write(Buffer.concat([encodeFrame(...message('hello')), encodeFrame(...message('not mine')), raw]));
    await waitUntil(() => detached !== null, { what: 'detached' });
    expect(detached!.socket).toBe(mine);
    expect(detached!.leftover).toEqual(raw);
    expect(frames.map((f) => f.body?.toString())).toEqual(['hello']);
    expect(conn.closed).toBe(true);
    expect(conn.send({ type: 'ping' })).toBe(false);
    // The new owner reads the socket, whatever it carries; no pong, ping, idle close or
    // event comes from the old owner.
    const seen: Buffer[] = [];
    theirs.on('data', (c: Buffer) => seen.push(c));
    const got: Buffer[] = [];
    mine.on('data', (c: Buffer) => got.push(c));
    theirs.write('garbage that is no frame');
    await waitUntil(() => Buffer.concat(got).toString() === 'garbage that is no frame', { what: 'raw bytes' });
    theirs.write(encodeFrame({ type: 'ping', ts: 1 }));
    await waitUntil(() => Buffer.concat(got).byteLength > 24, { what: 'more raw bytes' });
    // A twin connection with the same timers, left alone meanwhile, proves the idle time passed.
    const twin = await setup({ pingIntervalMs: 100, idleTimeoutMs: 300 });
    await waitUntil(() => twin.closes.length === 1, { what: 'the twin times out' });
    expect(twin.peer.frames.some((f) => f.type === 'ping')).toBe(true);
    expect(seen).toEqual([]);
    expect(mine.listenerCount('error')).toBe(1); // detach's own: an 'error' does not crash the process
    mine.emit('error', new Error('boom'));
    mine.destroy();
    await waitUntil(() => mine.destroyed, { what: 'destroyed' });
    expect(closes).toEqual([]);
  });

  it('still handles the frames that came in the same read as its own goodbye', async () => {
    const { conn, frames, closes, pair, peer } = await setup();
    conn.once('frame', () => conn.close('duplicate'));
    pair.client.write(Buffer.concat([encodeFrame(...message('one')), encodeFrame(...message('last words'))]));
    await waitUntil(() => closes.length === 1 && peer.ended(), { what: 'closed' });
    expect(frames.map((f) => f.body?.toString())).toEqual(['one', 'last words']);
    expect(peer.frames).toEqual([{ type: 'bye', reason: 'duplicate' }]);
  });

  it('handles no frame that follows its own failure in the same read', async () => {
    const { conn, frames, closes, pair, peer } = await setup();
    conn.once('frame', () => conn.fail(new FerryError('BAD_FRAME', 'not that')));
    pair.client.write(Buffer.concat([encodeFrame(...message('one')), encodeFrame(...message('two'))]));
    await waitUntil(() => closes.length === 1 && peer.ended(), { what: 'closed' });
    expect(frames.map((f) => f.body?.toString())).toEqual(['one']);
    expect(peer.frames).toEqual([{ type: 'error', code: 'BAD_FRAME', message: 'not that' }]);
  });

  it('cuts a peer that never reads its goodbye', async () => {
    const { conn, closes, pair } = await setup();
    pair.client.pause();
    let full = false;
    for (let i = 0; i < 10_000 && !full; i++) full = !conn.send(...message('x'.repeat(60_000)));
    conn.close();
    await waitUntil(() => closes.length === 1, { what: 'the socket is cut', timeoutMs: 8_000 });
    expect(pair.server.destroyed).toBe(true);
  });

  it('leaves no listeners behind after drain()', async () => {
    const { conn, pair } = await setup();
    const before = [pair.server.listenerCount('drain'), pair.server.listenerCount('close')];
    pair.client.pause();
    let full = false;
    for (let i = 0; i < 10_000 && !full; i++) full = !conn.send(...message('x'.repeat(60_000)));
    const draining = conn.drain();
    pair.client.resume();
    await draining;
    expect([pair.server.listenerCount('drain'), pair.server.listenerCount('close')]).toEqual(before);
  });

  it('has no remote address once its socket is gone', async () => {
    const { conn, pair } = await setup();
    pair.server.destroy();
    await waitUntil(() => conn.closed, { what: 'closed' });
    expect(conn.remoteAddress).toBe('');
  });

  it('uses the protocol timers by default: ping after 15 s, close after 45 s of silence', () => {
    expect(DEFAULT_TIMERS).toEqual({ pingIntervalMs: 15_000, idleTimeoutMs: 45_000 });
  });
});
